import type { ReactNode } from "react";

/**
 * A table of rows with these column headings, each row stacked into labelled
 * lines on a phone (its cells name their column in `data-label`).
 */
export function StackedTable({ columns, children }: { columns: readonly string[]; children: ReactNode }) {
  return (
    <div className="table-wrap">
      <table className="table stack-on-phone">
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
