import type { MouseEvent, ReactNode, Ref } from "react";

/**
 * A button that starts a request (Read the file again, Use this frame as thumbnail). While
 * `busy` (its request, or another it must wait for, runs) it does nothing but stays focusable
 * (`aria-disabled`, styled as a disabled button): a disabled button loses the focus in
 * Chromium, so pressing it with the keyboard sent the focus to the top of the page. `label`,
 * when given, names it for assistive technology (what it does and to whom). `disabled` is
 * for a button that does nothing here at all, busy or not (the first video's Move up).
 * A `submit` button's busy click is cancelled too, so its form is not sent (see SubmitButton).
 * A `toggle` (Publish/Unpublish, whose label flips to its opposite once its request is done)
 * ignores the second click of a double-click (`detail` 2; a key press has 0): the first save
 * was done in under 150 ms, so the second click, on the flipped label, undid it.
 * `pressed` makes it a toggle button (`aria-pressed`: Like), `describedBy` adds what is heard
 * after its name (the like count).
 */
export function ActionButton({
  label,
  className = "button",
  type = "button",
  busy,
  disabled,
  toggle = false,
  onClick,
  buttonRef,
  id,
  pressed,
  describedBy,
  children,
}: {
  label?: string;
  className?: string;
  type?: "button" | "submit";
  busy: boolean;
  disabled?: boolean;
  toggle?: boolean;
  onClick?: () => void;
  buttonRef?: Ref<HTMLButtonElement>;
  id?: string;
  pressed?: boolean;
  describedBy?: string;
  children: ReactNode;
}) {
  return (
    <button
      ref={buttonRef}
      id={id}
      type={type}
      className={className}
      disabled={disabled}
      aria-disabled={busy || undefined}
      aria-label={label}
      aria-pressed={pressed}
      aria-describedby={describedBy}
      onClick={(event: MouseEvent<HTMLButtonElement>) => {
        if (busy || (toggle && event.detail > 1)) event.preventDefault();
        else onClick?.();
      }}
    >
      {children}
    </button>
  );
}
