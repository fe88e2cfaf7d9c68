import { useEffect, useRef, type ReactNode } from "react";
import { focusLost } from "../lib/focus";
import { ActionButton } from "./ActionButton";

/**
 * The button of a pagination control pressed last, by the control's label: most pages draw
 * their list (and this control with it) anew once the next page has loaded, and the focus
 * would be lost with the pressed button. The new control takes it back.
 */
let pressed: { label: string; next: boolean } | null = null;

export function Pagination({
  page,
  pageSize,
  total,
  onPage,
  label = "Pagination",
}: {
  page: number;
  pageSize: number;
  total: number;
  onPage: (page: number) => void;
  label?: string;
}) {
  const previousButton = useRef<HTMLButtonElement>(null);
  const nextButton = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    // Only the focus the pressed button lost: never taken from wherever it went since.
    if (focusLost() && pressed?.label === label) (pressed.next ? nextButton : previousButton).current?.focus();
    pressed = null;
  }, [page, label]);
  const pages = pageCount(total, pageSize);
  if (pages <= 1) return null;
  const turn = (next: boolean) => {
    pressed = { label, next };
    onPage(next ? page + 1 : page - 1);
  };
  return (
    <nav className="pagination" aria-label={label}>
      {/* Held at either end, not disabled: Next pressed onto the last page keeps the focus. */}
      <ActionButton busy={page <= 1} buttonRef={previousButton} onClick={() => turn(false)}>
        ← Previous
      </ActionButton>
      <span aria-live="polite">
        Page {page} of {pages}
      </span>
      <ActionButton busy={page >= pages} buttonRef={nextButton} onClick={() => turn(true)}>
        Next →
      </ActionButton>
    </nav>
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
