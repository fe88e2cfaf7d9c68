import { render, screen } from "@testing-library/react";
import { useState } from "react";
import { describe, expect, it } from "vitest";
import { setupUser } from "../test/render";
import { ConfirmDialog } from "./ConfirmDialog";

/** An opener button and, once pressed, the dialog (busy or not). */
function Opener({ busy }: { busy: boolean }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" onClick={() => setOpen(true)}>
        Delete…
      </button>
      {open && (
        <ConfirmDialog title="Delete it?" confirmLabel="Delete" destructive busy={busy} onConfirm={() => setOpen(false)} onCancel={() => setOpen(false)}>
          Gone for good.
        </ConfirmDialog>
      )}
    </>
  );
}

describe("ConfirmDialog", () => {
  it("takes the focus on Cancel, answers Escape, and gives the focus back to its opener", async () => {
    const user = setupUser();
    render(<Opener busy={false} />);
    const opener = screen.getByRole("button", { name: "Delete…" });
    await user.click(opener);
    expect(screen.getByRole("button", { name: "Cancel" })).toHaveFocus();
    await user.keyboard("{Escape}");
    expect(screen.queryByRole("alertdialog")).not.toBeInTheDocument();
    expect(opener).toHaveFocus();
  });

  it("keeps Tab among all its controls, links and selects too", async () => {
    const user = setupUser();
    render(
      <ConfirmDialog title="Move it?" confirmLabel="Move" destructive={false} onConfirm={() => {}} onCancel={() => {}}>
        <a href="/help">What moving does</a>
        <select aria-label="Where">
          <option>Here</option>
        </select>
      </ConfirmDialog>,
    );
    const link = screen.getByRole("link", { name: "What moving does" });
    expect(screen.getByRole("button", { name: "Cancel" })).toHaveFocus();
    await user.tab();
    expect(screen.getByRole("button", { name: "Move" })).toHaveFocus();
    await user.tab(); // from the last control: round to the first, the link
    expect(link).toHaveFocus();
    await user.tab();
    expect(screen.getByRole("combobox", { name: "Where" })).toHaveFocus();
    await user.click(link);
    await user.tab({ shift: true }); // from the first: round to the last
    expect(screen.getByRole("button", { name: "Move" })).toHaveFocus();
  });

  it("takes the focus itself when Cancel cannot (busy), so the page behind has none", async () => {
    const user = setupUser();
    render(<Opener busy />);
    await user.click(screen.getByRole("button", { name: "Delete…" }));
    expect(screen.getByRole("alertdialog", { name: "Delete it?" })).toHaveFocus();
  });
});
