import { useEffect, useRef } from "react";
import { scrollBehavior } from "../lib/focus";

/**
 * A message the user must see, brought into view and focused when it appears or changes: an
 * upload's error (`role="alert"`), or what an action just did ("Deleted …", `role="status"`),
 * where the row whose button was pressed is gone and the focus went with it to the page's body.
 * With `focus` false it is only said (the button pressed is still there, and keeps the focus).
 */
export function FocusedMessage({
  message,
  role,
  className,
  testId,
  focus = true,
}: {
  message: string;
  role: "alert" | "status";
  className: string;
  testId: string;
  focus?: boolean;
}) {
  const ref = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (!focus) return;
    ref.current?.scrollIntoView?.({ block: "center", behavior: scrollBehavior() });
    ref.current?.focus();
  }, [message, focus]);
  return (
    <p ref={ref} className={className} role={role} tabIndex={-1} data-testid={testId}>
      {message}
    </p>
  );
}

/**
 * What an action just did ("Deleted …", "Removed …"), focused: the row whose button was
 * pressed is gone (unless `focus` is false: it is there still). Nothing when there is no such news.
 */
export function DoneNotice({ message, focus = true }: { message: string | null; focus?: boolean }) {
  if (!message) return null;
  return <FocusedMessage message={message} role="status" className="done-notice" testId="done-notice" focus={focus} />;
}
