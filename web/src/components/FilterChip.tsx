import type { ReactNode } from "react";

/**
 * What a list is filtered by (`children`), and a button that drops the filter: its words
 * (`clear`), or a short mark named for assistive technology by `clearName`.
 */
export function FilterChip({ children, clear, clearName, onClear }: { children: ReactNode; clear: string; clearName?: string; onClear: () => void }) {
  return (
    <p className="filter-chip">
      {children}{" "}
      <button type="button" className="link-button" aria-label={clearName} onClick={onClear}>
        {clear}
      </button>
    </p>
  );
}
