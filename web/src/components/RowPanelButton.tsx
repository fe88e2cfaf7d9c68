import { useId, useState, type ReactNode } from "react";

/**
 * A library row's button that opens (and closes) a panel under it: the button says whether
 * the panel is open and which it is; `panel` renders it with the id the button names.
 */
export function RowPanelButton({ label, name, panel }: { label: string; name: string; panel: (id: string) => ReactNode }) {
  const [open, setOpen] = useState(false);
  const panelId = useId();
  return (
    <>
      <button type="button" className="button" aria-expanded={open} aria-controls={panelId} aria-label={name} onClick={() => setOpen(!open)}>
        {label}
      </button>
      {open && panel(panelId)}
    </>
  );
}
