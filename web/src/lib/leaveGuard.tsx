import { createContext, use, useCallback, useLayoutEffect, useRef, useState, type ReactNode } from "react";
import { useBlocker, type BlockerFunction } from "react-router";
import { getAccessToken } from "../api/tokenStore";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { useLeaveWarning } from "./useLeaveWarning";

/** What a LeaveGuard asks before the page is left, when it is not about unsaved edits. */
export interface LeaveQuestion {
  title: string;
  confirmLabel: string;
  words: string;
}

/** Marks a form (`key`) of the page as holding unsaved changes, or no longer. */
type Mark = (key: string, unsaved: boolean) => void;

const LeaveGuardContext = createContext<Mark | null>(null);

/**
 * Asks before the page is left while one of its forms holds unsaved changes (see
 * `useLeaveGuard`): a link, Back, or a change of the page's own query (its next page, a
 * filter) opens a confirmation; reloading or closing the tab gets the browser's own prompt.
 * One per page: react-router keeps one blocker at a time, so the page's forms share it.
 * `question` is what a page whose work is not an edit asks instead (an upload under way).
 */
export function LeaveGuard({ children, question }: { children: ReactNode; question?: LeaveQuestion }) {
  // Read by the blocker as the navigation starts: a form closed by Save has left it already,
  // though the page has not rendered since.
  const unsaved = useRef(new Set<string>());
  const [count, setCount] = useState(0);
  const mark = useCallback<Mark>((key, on) => {
    if (on) unsaved.current.add(key);
    else unsaved.current.delete(key);
    setCount(unsaved.current.size);
  }, []);
  const blocker = useBlocker(
    useCallback<BlockerFunction>(
      ({ currentLocation: from, nextLocation: to }) =>
        // Not when the session ended: the way to sign-in must stay open (the draft is kept, see useSessionDraft).
        unsaved.current.size > 0 &&
        getAccessToken() !== null &&
        (from.pathname !== to.pathname || from.search !== to.search),
      [],
    ),
  );
  useLeaveWarning(count > 0);

  return (
    <LeaveGuardContext value={mark}>
      {children}
      {blocker.state === "blocked" && (
        <ConfirmDialog
          title={question?.title ?? "Leave without saving?"}
          confirmLabel={question?.confirmLabel ?? "Leave"}
          destructive
          onConfirm={() => blocker.proceed()}
          onCancel={() => blocker.reset()}
        >
          <p>{question?.words ?? `${count > 1 ? `${count} edits are` : "An edit is"} not saved: leaving this page loses it.`}</p>
        </ConfirmDialog>
      )}
    </LeaveGuardContext>
  );
}

/**
 * Tells the page's LeaveGuard whether this form (`key`, unique on the page) holds unsaved
 * changes; nothing outside one.
 */
export function useLeaveGuard(key: string, unsaved: boolean): void {
  const mark = use(LeaveGuardContext);
  // In the commit that closes the form, not after the page's next paint (see LeaveGuard).
  useLayoutEffect(() => {
    if (!mark) return;
    mark(key, unsaved);
    return () => mark(key, false);
  }, [mark, key, unsaved]);
}
