import { useEffect, useId, useRef, type KeyboardEvent, type ReactNode, type RefObject } from "react";

/** How a confirmation is answered: Confirm runs the action (busy while it does), Cancel drops it. */
export interface ConfirmAnswers {
  busy?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}

/**
 * A small modal confirmation: focus moves to "Cancel" when it opens, Escape
 * cancels, Tab stays inside, and focus returns to the opener when it closes.
 * `destructive` (deleting, removing, ending sessions) makes the confirm button
 * the red danger one; anything else (queueing a transcode) gets the primary one.
 */
export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  cancelLabel = "Cancel",
  destructive,
  busy = false,
  onConfirm,
  onCancel,
}: ConfirmAnswers & {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  /** What dropping the action is called, where "Cancel" would be unclear ("Keep writing"). */
  cancelLabel?: string;
  /** Whether confirming loses something: every caller says, so none is red (or not) by default. */
  destructive: boolean;
}) {
  const titleId = useId();
  const bodyId = useId();
  const cancelRef = useRef<HTMLButtonElement>(null);

  return (
    <Modal
      role="alertdialog"
      labelledBy={titleId}
      describedBy={bodyId}
      initialFocus={cancelRef}
      onCancel={busy ? null : onCancel}
    >
      <h2 id={titleId}>{title}</h2>
      <div id={bodyId}>{children}</div>
      <div className="modal-actions">
        <button ref={cancelRef} type="button" className="button" onClick={onCancel} disabled={busy}>
          {cancelLabel}
        </button>
        <button
          type="button"
          className={destructive ? "button danger" : "button primary"}
          onClick={onConfirm}
          disabled={busy}
        >
          {busy ? "Working…" : confirmLabel}
        </button>
      </div>
    </Modal>
  );
}

/**
 * The backdrop and box of every dialog: modal, named by `labelledBy`; the
 * focus goes to `initialFocus` as it opens and back to the opener as it
 * closes; a click outside it or Escape cancels (not while `onCancel` is null:
 * busy), and Tab stays inside.
 */
export function Modal({
  role = "dialog",
  labelledBy,
  describedBy,
  initialFocus,
  onCancel,
  children,
}: {
  role?: "dialog" | "alertdialog";
  labelledBy: string;
  describedBy?: string;
  initialFocus: RefObject<HTMLElement | null>;
  onCancel: (() => void) | null;
  children: ReactNode;
}) {
  const dialogRef = useRef<HTMLDivElement>(null);
  useFocusWhileOpen(initialFocus, dialogRef);
  return (
    <div className="modal-backdrop" onClick={() => onCancel?.()}>
      <div
        ref={dialogRef}
        tabIndex={-1}
        className="modal"
        role={role}
        aria-modal="true"
        aria-labelledby={labelledBy}
        aria-describedby={describedBy}
        onKeyDown={(event) => answerKey(event, dialogRef.current, onCancel)}
        onClick={(e) => e.stopPropagation()}
      >
        {children}
      </div>
    </div>
  );
}

/** Escape cancels (unless `cancel` is null: busy); Tab stays inside `dialog`. */
function answerKey(event: KeyboardEvent<HTMLDivElement>, dialog: HTMLDivElement | null, cancel: (() => void) | null) {
  if (event.key === "Escape") {
    event.preventDefault();
    cancel?.();
  } else if (event.key === "Tab" && dialog) {
    keepTabInside(event, dialog);
  }
}

/** What Tab reaches in a dialog: links, enabled form controls, and what opts in with a tabindex. */
const FOCUSABLE = [
  "a[href]",
  ...["button", "input", "select", "textarea"].map((tag) => `${tag}:not([disabled])`),
  '[tabindex]:not([tabindex="-1"])',
].join(", ");

/** Tab from the last enabled control goes to the first, Shift+Tab from the first to the last: focus stays in `dialog`. */
function keepTabInside(event: KeyboardEvent<HTMLDivElement>, dialog: HTMLDivElement): void {
  const focusable = dialog.querySelectorAll<HTMLElement>(FOCUSABLE);
  const first = focusable[0];
  const last = focusable[focusable.length - 1];
  if (!first || !last) return;
  if (event.shiftKey && document.activeElement === first) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && document.activeElement === last) {
    event.preventDefault();
    first.focus();
  }
}

/**
 * Focus goes to `target` as the dialog opens, or to the `dialog` box itself
 * when `target` cannot take it (disabled), so Escape and Tab still reach the
 * dialog; it goes back to what had it (the opener) as the dialog closes.
 */
function useFocusWhileOpen(target: RefObject<HTMLElement | null>, dialog: RefObject<HTMLElement | null>): void {
  useEffect(() => {
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    target.current?.focus();
    if (dialog.current && !dialog.current.contains(document.activeElement)) dialog.current.focus();
    return () => opener?.focus();
  }, [target, dialog]);
}
