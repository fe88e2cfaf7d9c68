import type { ReactNode } from "react";

/**
 * A list's rows (useAsync's `shown`), kept on screen while the next ones load (another page,
 * filter or search, or the same read again): dimmed and `aria-busy` until they are in, so the
 * page does not empty and jump, and a screen reader hears the list is being read. Out of reach
 * meanwhile (`inert`): a row ticked or acted on may not be among those asked for; the page's
 * filters, search and pagination, outside, stay usable.
 */
export function KeptRows({ busy, children }: { busy: boolean; children: ReactNode }) {
  return (
    <div className="kept-rows" aria-busy={busy} inert={busy}>
      {children}
    </div>
  );
}

/**
 * "Loading…" while a list is read, told to a screen reader, in a line that keeps its height
 * when empty: the rows kept under it do not move as it comes and goes. Once read, `children`
 * (what the list holds now, "3 reported comments"), told too: a filter changed by a box that
 * keeps the focus changes the rows out of a screen reader's hearing otherwise.
 */
export function LoadingLine({ loading, children }: { loading: boolean; children?: ReactNode }) {
  return (
    <p className="status-line" aria-live="polite">
      {loading ? <span role="status">Loading…</span> : children}
    </p>
  );
}
