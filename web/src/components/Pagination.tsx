import { useEffect, useRef, useState, type FormEvent, type ReactNode, type RefObject } from "react";
import { focusLost } from "../lib/focus";
import { ActionButton } from "./ActionButton";
import { ErrorMessage, FormError } from "./ErrorMessage";
import { DoneNotice } from "./FocusedMessage";
import { KeptRows, LoadingLine } from "./KeptRows";
import { UnavailableNote } from "./UnavailableNote";

/**
 * The button of a pagination control pressed last, by the control's label: most pages draw
 * their list (and this control with it) anew once the next page has loaded, and the focus
 * would be lost with the pressed button. The new control takes it back.
 */
let pressed: { label: string; control: Control } | null = null;

/** The controls of a pagination that turn its page: the buttons, and the page number typed. */
type Control = "first" | "previous" | "next" | "last" | "typed";

/**
 * Previous and next, and "Page N of M" between them; with `jumps` (a long list, an admin's
 * library), also the first and last page and a page number to type.
 */
export function Pagination({
  page,
  pageSize,
  total,
  onPage,
  label = "Pagination",
  jumps = false,
}: {
  page: number;
  pageSize: number;
  total: number;
  onPage: (page: number) => void;
  label?: string;
  jumps?: boolean;
}) {
  const first = useRef<HTMLButtonElement>(null);
  const previous = useRef<HTMLButtonElement>(null);
  const next = useRef<HTMLButtonElement>(null);
  const last = useRef<HTMLButtonElement>(null);
  const typed = useRef<HTMLInputElement>(null);
  useEffect(() => {
    // Only the focus the pressed control lost: never taken from wherever it went since.
    if (focusLost() && pressed?.label === label) ({ first, previous, next, last, typed })[pressed.control].current?.focus();
    pressed = null;
  }, [page, label]);
  const pages = pageCount(total, pageSize);
  if (pages <= 1) return null;
  const turn = (control: Control) => (to: number) => {
    pressed = { label, control };
    onPage(to);
  };
  // Held at either end, not disabled: Next pressed onto the last page keeps the focus.
  return (
    <nav className="pagination" aria-label={label}>
      {jumps && <TurnButton to={1} held={page <= 1} buttonRef={first} onPage={turn("first")} text="« First" />}
      <TurnButton to={page - 1} held={page <= 1} buttonRef={previous} onPage={turn("previous")} text="← Previous" />
      <span aria-live="polite">
        Page {page} of {pages}
      </span>
      <TurnButton to={page + 1} held={page >= pages} buttonRef={next} onPage={turn("next")} text="Next →" />
      {jumps && <TurnButton to={pages} held={page >= pages} buttonRef={last} onPage={turn("last")} text="Last »" />}
      {jumps && <PageNumberField page={page} pages={pages} inputRef={typed} onPage={turn("typed")} />}
    </nav>
  );
}

/** A button to page `to`, held (not disabled, so it keeps the focus) when that is no page to go to. */
function TurnButton({
  to,
  held,
  buttonRef,
  onPage,
  text,
}: {
  to: number;
  held: boolean;
  buttonRef: RefObject<HTMLButtonElement | null>;
  onPage: (page: number) => void;
  text: string;
}) {
  return (
    <ActionButton busy={held} buttonRef={buttonRef} onClick={() => onPage(to)}>
      {text}
    </ActionButton>
  );
}

/**
 * "Go to page": a number typed goes to that page, kept within the first and the last (0 the
 * first, 999 the last); what is not a number changes nothing, and the field shows the page
 * again. Text rather than a number field: a browser's number field hands over "" for "abc".
 */
function PageNumberField({
  page,
  pages,
  inputRef,
  onPage,
}: {
  page: number;
  pages: number;
  inputRef: RefObject<HTMLInputElement | null>;
  onPage: (page: number) => void;
}) {
  const [text, setText] = useState(String(page));
  const [shown, setShown] = useState(page);
  if (shown !== page) {
    setShown(page);
    setText(String(page));
  }
  function go(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const typed = Number.parseInt(text.trim(), 10);
    const to = Number.isFinite(typed) ? Math.min(Math.max(typed, 1), pages) : page;
    setText(String(to));
    if (to !== page) onPage(to);
  }
  return (
    <form className="page-number" onSubmit={go}>
      <label>
        Go to page{" "}
        <input ref={inputRef} type="text" inputMode="numeric" size={4} value={text} onChange={(e) => setText(e.target.value)} />
      </label>{" "}
      <button type="submit" className="button">
        Go
      </button>
    </form>
  );
}

/** How many pages of `pageSize` the `total` entries fill (at least one). */
function pageCount(total: number, pageSize: number): number {
  return Math.max(1, Math.ceil(total / Math.max(1, pageSize)));
}

/** What a page of a list shows about itself: its entries, how many in all, how many a page. */
interface ShownPage {
  items: readonly unknown[];
  total: number;
  page_size: number;
}

/**
 * A page of a list with no entries on it: `empty` when the list has none at all, else (an old
 * link, or the last page's entries deleted or unpublished since) where the entries are and a
 * way to them. It used to read as an empty list ("3 videos", then "Nothing has been published
 * yet.") with no Previous to go back. Nothing when the page has entries.
 */
export function EmptyPage({
  page,
  shown,
  onPage,
  empty,
}: {
  page: number;
  shown: ShownPage;
  onPage: (page: number) => void;
  empty: ReactNode;
}) {
  if (shown.items.length > 0) return null;
  if (shown.total === 0) return empty;
  const pages = pageCount(shown.total, shown.page_size);
  return (
    <div className="empty" data-testid="past-the-end">
      <h2>Nothing on page {page}</h2>
      <p>
        There {pages === 1 ? "is only 1 page" : `are only ${pages} pages`}.{" "}
        <button type="button" className="link-button" onClick={() => onPage(pages)}>
          Go to page {pages}
        </button>
      </p>
    </div>
  );
}

/** A page of one of the viewer's lists as the server answers it. */
interface ListPage<T> {
  items: T[];
  page_size: number;
  total: number;
  /** How many more entries are kept that cannot be watched now (UnavailableNote). */
  unavailable_count?: number;
}

/**
 * One of the viewer's lists (history, liked videos) under its heading: "Loading…" while a page
 * is read, why it could not load (with Try again), why a change failed and what one did, `empty`
 * (or the way back from past the last page), then the page's entries, each drawn by `entry`
 * (keyed), in a list named `label`, what it keeps that cannot be watched now (UnavailableNote,
 * `unavailableWhere` naming the list; in place of `empty` when that is all), and the way to the
 * other pages. While the next page (or the list after a change) is read, the entries shown stay,
 * busy (KeptRows), as the admins' lists do.
 */
export function PageOfList<T>({
  label,
  className,
  list,
  changes,
  empty,
  entry,
  unavailableWhere,
}: {
  label: string;
  className: string;
  list: {
    data: ListPage<T> | null;
    shown: ListPage<T> | null;
    loading: boolean;
    error: unknown;
    reload: () => void;
    page: number;
    turnPage: (page: number) => void;
  };
  changes: { problem: string | null; done: string | null };
  empty: ReactNode;
  entry: (entry: T) => ReactNode;
  unavailableWhere: string;
}) {
  const { data, shown, page, turnPage } = list;
  const hidden = shown?.unavailable_count ?? 0;
  const unavailable = <UnavailableNote count={hidden} where={unavailableWhere} />;
  const none = hidden > 0 ? <div className="empty" data-testid="empty-state">{unavailable}</div> : empty;
  return (
    <>
      <LoadingLine loading={list.loading} />
      <ErrorMessage error={list.error} onRetry={list.reload} />
      <FormError message={changes.problem} />
      <DoneNotice message={changes.done} />
      {data && <EmptyPage page={page} shown={data} onPage={turnPage} empty={none} />}
      {shown && shown.items.length > 0 && (
        <>
          <KeptRows busy={list.loading}>
            <ul className={className} aria-label={label}>
              {shown.items.map(entry)}
            </ul>
          </KeptRows>
          {unavailable}
          <Pagination page={page} pageSize={shown.page_size} total={shown.total} onPage={turnPage} />
        </>
      )}
    </>
  );
}
