import type { ReactNode } from "react";
import { ActionButton } from "./ActionButton";

/**
 * A form's submit button. While `busy` (its request runs, or the form cannot be sent yet) it
 * does nothing but stays focusable (`aria-disabled`, styled as a disabled button): a disabled
 * button loses the focus in Chromium, so pressing Sign in, Save or Create from the keyboard
 * sent the focus to the top of the page.
 *
 * The guard against sending a busy form twice is ActionButton's, in the button's click: the browser
 * sends a form only through a click on its submit button: a mouse click, Enter or Space on
 * the button, and Enter in one of the form's fields too (HTML's implicit submission clicks
 * the form's first submit button). Cancelling that click while busy stops all of them, as
 * `disabled` did, so no form's onSubmit changes, and actions that may run side by side under
 * one useAction (Save to playlist's boxes, Account's revokes) still can.
 */
export function SubmitButton({
  busy = false,
  className = "button",
  children,
}: {
  busy?: boolean;
  className?: string;
  children: ReactNode;
}) {
  return (
    <ActionButton type="submit" className={className} busy={busy}>
      {children}
    </ActionButton>
  );
}
