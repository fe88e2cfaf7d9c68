import { useEffect, useRef, type ReactNode } from "react";
import { scrollBehavior } from "../lib/focus";

/**
 * A message the user must see, brought into view and focused when it appears or changes: an
 * upload's error (`role="alert"`), or what an action just did ("Deleted …", `role="status"`),
 * where the control pressed is gone (its row, a Cancel schedule, a form's button) and the focus
 * went with it to the page's body. With `focus` false it is only said (the button pressed is
 * still there, and keeps the focus). `told` is which telling it is, when the words are not a
 * string or may be said again (a second link stopped): a new value focuses it again.
 */
export function FocusedMessage({
  message,
  told = message,
  role,
  className,
  testId,
  focus = true,
}: {
  message: ReactNode;
  told?: unknown;
  role: "alert" | "status";
  className?: string;
  testId: string;
  focus?: boolean;
}) {
  const ref = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (!focus) return;
    ref.current?.scrollIntoView?.({ block: "center", behavior: scrollBehavior() });
    ref.current?.focus();
  }, [told, focus]);
  return (
    <p ref={ref} className={className} role={role} tabIndex={-1} data-testid={testId}>
      {message}
    </p>
  );
}

/**
 * What an action just did, in words, and whether it takes the focus: it does where the control
 * pressed is gone (a deleted row, Cancel schedule once the schedule is), not where it stays
 * (Schedule, which reads Change schedule now). Made anew at each telling, so the same words
 * said again are focused again.
 */
export interface Notice {
  text: string;
  focus: boolean;
}

/**
 * What an action just did ("Deleted …", "Removed …"): a string is focused (the row whose
 * button was pressed is gone) unless `focus` is false (it is there still); a Notice says
 * itself whether. Nothing when there is no such news.
 */
export function DoneNotice({ message, focus = true }: { message: string | Notice | null; focus?: boolean }) {
  if (!message) return null;
  const notice = typeof message === "string" ? { text: message, focus } : message;
  return (
    <FocusedMessage
      message={notice.text}
      told={message}
      role="status"
      className="done-notice"
      testId="done-notice"
      focus={notice.focus}
    />
  );
}
