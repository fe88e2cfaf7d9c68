import type { ReactNode, Ref } from "react";

/**
 * A button on a list's row (a user, a video): `label` names what it does and to whom, for
 * assistive technology. While `busy` (its row's request runs) it does nothing but stays
 * focusable (`aria-disabled`): a disabled button loses the focus in Chromium, so pressing
 * Unpublish, Disable or Reset link with the keyboard sent the focus to the top of the page.
 */
export function RowButton({
  label,
  danger = false,
  busy,
  onClick,
  buttonRef,
  children,
}: {
  label: string;
  danger?: boolean;
  busy: boolean;
  onClick: () => void;
  buttonRef?: Ref<HTMLButtonElement>;
  children: ReactNode;
}) {
  return (
    <button
      ref={buttonRef}
      type="button"
      className={danger ? "button danger" : "button"}
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
