import { fireEvent, render, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { expectHeldWithFocus, setupUser } from "../test/render";
import { ActionButton } from "./ActionButton";

describe("ActionButton", () => {
  it("keeps the focus while busy and does nothing however it is pressed", async () => {
    const onClick = vi.fn();
    const user = setupUser();
    const { rerender } = render(
      <ActionButton busy={false} onClick={onClick}>
        Read the file again
      </ActionButton>,
    );
    const button = screen.getByRole("button", { name: "Read the file again" });
    button.focus();
    await user.keyboard("{Enter}");
    expect(onClick).toHaveBeenCalledTimes(1);

    rerender(
      <ActionButton busy onClick={onClick}>
        Read the file again
      </ActionButton>,
    );
    expectHeldWithFocus(button);
    await user.keyboard("{Enter}");
    await user.keyboard(" ");
    await user.click(button);
    expect(onClick).toHaveBeenCalledTimes(1);
  });

  it("is disabled where it does nothing at all, and named by its label", () => {
    render(
      <ActionButton busy={false} disabled label="Move Alpha up" onClick={() => undefined}>
        ↑
      </ActionButton>,
    );
    expect(screen.getByRole("button", { name: "Move Alpha up" })).toBeDisabled();
  });

  it("ignores a toggle's double-click, whenever its second click comes, not the keyboard", async () => {
    const onClick = vi.fn();
    const user = setupUser();
    const toggle = (label: string) => (
      <ActionButton busy={false} toggle onClick={onClick}>
        {label}
      </ActionButton>
    );
    const { rerender } = render(toggle("Publish"));
    fireEvent.click(screen.getByRole("button"), { detail: 1 });
    expect(onClick).toHaveBeenCalledTimes(1);
    // The first click's save is done: the second lands on the flipped label.
    rerender(toggle("Unpublish"));
    fireEvent.click(screen.getByRole("button"), { detail: 2 });
    fireEvent.click(screen.getByRole("button"), { detail: 3 });
    expect(onClick).toHaveBeenCalledTimes(1);

    screen.getByRole("button").focus();
    await user.keyboard("{Enter}");
    await user.keyboard(" ");
    expect(onClick).toHaveBeenCalledTimes(3);
  });

  it("lets a button that is no toggle be double-clicked", () => {
    const onClick = vi.fn();
    render(
      <ActionButton busy={false} onClick={onClick}>
        Reset link
      </ActionButton>,
    );
    fireEvent.click(screen.getByRole("button"), { detail: 1 });
    fireEvent.click(screen.getByRole("button"), { detail: 2 });
    expect(onClick).toHaveBeenCalledTimes(2);
  });
});
