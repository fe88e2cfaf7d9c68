import { act, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { mediaItem, mediaPage } from "../test/fixtures";
import { renderRememberingApp as renderApp, setupUser } from "../test/render";
import { API, http, ok, server } from "../test/server";

/** Each scroll the app made: where to, and how many cards the page had then. */
interface Scroll {
  y: number;
  cards: number;
}

/** jsdom does not scroll: `window.scrollY` is what the app last scrolled to (or the test set). */
function followScrolls(): Scroll[] {
  const scrolls: Scroll[] = [];
  const scrollTo = (y: number) => Object.defineProperty(window, "scrollY", { value: y, configurable: true });
  vi.spyOn(window, "scrollTo").mockImplementation((_x: number, y: number) => {
    scrolls.push({ y, cards: screen.queryAllByTestId("media-card").length });
    scrollTo(y);
  });
  scrollTo(0);
  return scrolls;
}

afterEach(() => {
  Object.defineProperty(window, "scrollY", { value: 0, configurable: true });
});

describe("scroll positions", () => {
  it("Back to the catalogue scrolls where it was once its cards are in; a new page starts at the top", async () => {
    const items = Array.from({ length: 30 }, (_, i) => mediaItem({ id: `m-${i}`, title: `Video ${i}` }));
    let answer: (() => void) | null = null;
    let asked = 0;
    server.use(
      http.get(`${API}/catalogue`, async () => {
        asked += 1;
        // The catalogue loaded again on Back comes when the test says.
        if (asked > 1) await new Promise<void>((resolve) => (answer = resolve));
        return ok(mediaPage(items));
      }),
    );
    const scrolls = followScrolls();
    const user = setupUser();
    const router = renderApp("/?sort=title");
    expect(await screen.findAllByTestId("media-card")).toHaveLength(30);

    // Scrolled down to the 17th card, then away to another page.
    Object.defineProperty(window, "scrollY", { value: 1500, configurable: true });
    await user.click(screen.getByRole("link", { name: "Sign in" }));
    expect(screen.getByTestId("location")).toHaveTextContent("/signin");
    expect(scrolls.at(-1)).toEqual({ y: 0, cards: 0 });

    await act(() => router.navigate(-1));
    expect(screen.getByTestId("location")).toHaveTextContent("/?sort=title");
    // No card yet: where it was is scrolled to once they are in, not only now (a real page
    // too short for it yet came out at the top).
    await vi.waitFor(() => expect(answer).not.toBeNull());
    act(() => answer?.());

    expect(await screen.findAllByTestId("media-card")).toHaveLength(30);
    expect(scrolls.at(-1)).toEqual({ y: 1500, cards: 30 });
  });
});
