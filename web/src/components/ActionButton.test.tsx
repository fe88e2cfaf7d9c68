import { render, screen } from "@testing-library/react";
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
});
