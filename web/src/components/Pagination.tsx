import type { ReactNode } from "react";

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
  const pages = pageCount(total, pageSize);
  if (pages <= 1) return null;
  return (
    <nav className="pagination" aria-label={label}>
      <button type="button" className="button" disabled={page <= 1} onClick={() => onPage(page - 1)}>
        ← Previous
      </button>
      <span aria-live="polite">
        Page {page} of {pages}
      </span>
      <button type="button" className="button" disabled={page >= pages} onClick={() => onPage(page + 1)}>
        Next →
      </button>
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
