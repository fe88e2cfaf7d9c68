import { useEffect, useRef } from "react";

/**
 * What an action just did ("Deleted …"), announced and focused as it appears or changes: the
 * row whose button was pressed is gone, and the focus went with it to the page's body, so a
 * keyboard user started again from the top.
 */
export function DoneNotice({ message }: { message: string }) {
  const ref = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    ref.current?.focus();
  }, [message]);
  return (
    <p ref={ref} className="done-notice" role="status" tabIndex={-1} data-testid="done-notice">
      {message}
    </p>
  );
}
