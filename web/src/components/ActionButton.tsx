import type { ReactNode, Ref } from "react";

/**
 * A button that starts a request (Read the file again, Use this frame as thumbnail). While
 * `busy` (its request, or another it must wait for, runs) it does nothing but stays focusable
 * (`aria-disabled`, styled as a disabled button): a disabled button loses the focus in
 * Chromium, so pressing it with the keyboard sent the focus to the top of the page. `label`,
 * when given, names it for assistive technology (what it does and to whom). `disabled` is
 * for a button that does nothing here at all, busy or not (the first video's Move up).
 */
export function ActionButton({
  label,
  className = "button",
  busy,
  disabled,
  onClick,
  buttonRef,
  id,
  children,
}: {
  label?: string;
  className?: string;
  busy: boolean;
  disabled?: boolean;
  onClick: () => void;
  buttonRef?: Ref<HTMLButtonElement>;
  id?: string;
  children: ReactNode;
}) {
  return (
    <button
      ref={buttonRef}
      id={id}
      type="button"
      className={className}
      disabled={disabled}
      aria-disabled={busy || undefined}
      aria-label={label}
      onClick={() => {
        if (!busy) onClick();
      }}
    >
      {children}
    </button>
  );
}
