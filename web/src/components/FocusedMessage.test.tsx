import { render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { FocusedMessage } from "./FocusedMessage";

afterEach(() => {
  vi.unstubAllGlobals();
  delete (HTMLElement.prototype as { scrollIntoView?: unknown }).scrollIntoView;
});

/** The visitor asks for less motion, or not. */
function prefersReducedMotion(reduce: boolean) {
  vi.stubGlobal("matchMedia", (query: string) => ({
    matches: reduce && query === "(prefers-reduced-motion: reduce)",
    addEventListener: () => undefined,
    removeEventListener: () => undefined,
  }));
}

describe("FocusedMessage", () => {
  it.each([
    [true, "auto"],
    [false, "smooth"],
  ])("scrolls into view smoothly only when motion is welcome (reduced: %s)", (reduce, behavior) => {
    prefersReducedMotion(reduce);
    const scrolled = vi.fn();
    // jsdom has no scrollIntoView: the message's own is the one called.
    Object.defineProperty(HTMLElement.prototype, "scrollIntoView", { configurable: true, value: scrolled });
    render(<FocusedMessage message="Deleted “Alpha”." role="status" className="done-notice" testId="done-notice" />);
    expect(screen.getByTestId("done-notice")).toHaveFocus();
    expect(scrolled).toHaveBeenCalledWith({ block: "center", behavior });
  });
});
