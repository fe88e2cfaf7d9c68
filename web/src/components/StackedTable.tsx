import type { ReactNode } from "react";

/**
 * A table of rows with these column headings, each row stacked into labelled
 * lines on a phone (its cells name their column in `data-label`). `caption` names it for a
 * screen reader's list of tables (unnamed, it was just "table"); hidden, as the page's heading
 * says it already.
 */
export function StackedTable({ caption, columns, children }: { caption: string; columns: readonly string[]; children: ReactNode }) {
  return (
    <div className="table-wrap">
      <table className="table stack-on-phone">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {columns.map((column) => (
              <th key={column} scope="col">
                {column}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
