import { useEffect, useRef } from "react";

/**
 * "Select all on this page": checked when all `shown` rows are selected, mixed when some are.
 * `selectedHere` counts the selected rows among them.
 */
export function SelectPageBox({
  shown,
  selectedHere,
  disabled,
  onToggle,
}: {
  shown: number;
  selectedHere: number;
  disabled: boolean;
  onToggle: (on: boolean) => void;
}) {
  const box = useRef<HTMLInputElement>(null);
  const all = selectedHere > 0 && selectedHere === shown;
  useEffect(() => {
    if (box.current) box.current.indeterminate = selectedHere > 0 && !all;
  }, [selectedHere, all]);
  return (
    <label className="check">
      <input ref={box} type="checkbox" checked={all} disabled={disabled} onChange={(e) => onToggle(e.target.checked)} /> Select all on this page
    </label>
  );
}

/** A row's check box for the page's bulk actions, named by what the row is (`title`) for assistive technology. */
export function SelectRowBox({ title, selected, onSelect }: { title: string; selected: boolean; onSelect: (on: boolean) => void }) {
  return (
    <label className="check muted small">
      <input type="checkbox" aria-label={`Select ${title}`} checked={selected} onChange={(e) => onSelect(e.target.checked)} />
      Select
    </label>
  );
}

/** How far a bulk action is, for the page's live status line: "Deleting 3 of 12…". */
export function BulkProgressLine({ doing, done, total }: { doing: string; done: number; total: number }) {
  return (
    <span role="status">
      {doing} {done + 1} of {total}…
    </span>
  );
}

/** What a bulk action failed on (`failures`: one line each, with why), under `heading`; nothing when none. */
export function BulkFailureList({ heading, failures }: { heading: string; failures: string[] }) {
  if (failures.length === 0) return null;
  return (
    <div className="form-error" role="alert">
      <p>{heading}</p>
      <ul>
        {failures.map((line) => (
          <li key={line}>{line}</li>
        ))}
      </ul>
    </div>
  );
}
