import { fireEvent, render, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { LinkedText, type MomentLinks } from "./LinkedText";

/** Moments of m-1 (a video of `duration` s), with `onOpen` recording the clicks. */
function momentLinks(duration: number | null = null) {
  const onOpen = vi.fn<(seconds: number) => void>();
  const links: MomentLinks = { href: (seconds) => `/watch/m-1?t=${seconds}`, onOpen, duration };
  return { ...links, onOpen };
}

/**
 * Whether the page left `link`'s navigation to the browser. Stopped here
 * either way: jsdom cannot navigate and would only say so.
 */
function clickFollows(link: HTMLElement, init: MouseEventInit = {}): boolean {
  let followed = false;
  const check = (event: Event) => {
    followed = !event.defaultPrevented;
    event.preventDefault();
  };
  window.addEventListener("click", check);
  fireEvent.click(link, init);
  window.removeEventListener("click", check);
  return followed;
}

describe("LinkedText", () => {
  it("leaves timestamps as text unless asked for moments", () => {
    const { container } = render(<LinkedText text="The chorus at 1:23, see https://example.org/a" />);
    expect(screen.getAllByRole("link").map((a) => a.textContent)).toEqual(["https://example.org/a"]);
    expect(container).toHaveTextContent("The chorus at 1:23, see https://example.org/a");
  });

  it("links each timestamp to its moment, and opens it in place on a plain click", () => {
    const moments = momentLinks();
    const { container } = render(<LinkedText text="Intro 0:00, chorus 1:23, outro 1:02:03." moments={moments} />);
    const links = screen.getAllByRole("link");
    expect(links.map((a) => [a.textContent, a.getAttribute("href")])).toEqual([
      ["0:00", "/watch/m-1?t=0"],
      ["1:23", "/watch/m-1?t=83"],
      ["1:02:03", "/watch/m-1?t=3723"],
    ]);
    // Moments stay on this page: no new tab.
    expect(links[1]).not.toHaveAttribute("target");
    expect(container).toHaveTextContent("Intro 0:00, chorus 1:23, outro 1:02:03.");

    expect(clickFollows(links[1]!)).toBe(false);
    expect(moments.onOpen).toHaveBeenCalledExactlyOnceWith(83);
  });

  it("leaves a modified click (new tab, new window) to the browser", () => {
    const moments = momentLinks();
    render(<LinkedText text="at 1:23" moments={moments} />);
    const link = screen.getByRole("link", { name: "1:23" });
    expect(clickFollows(link, { ctrlKey: true })).toBe(true);
    expect(clickFollows(link, { metaKey: true })).toBe(true);
    expect(clickFollows(link, { shiftKey: true })).toBe(true);
    expect(moments.onOpen).not.toHaveBeenCalled();
  });

  it("keeps timestamps inside web addresses in the address, and nonsense or past-the-end times as text", () => {
    const text = "Live https://example.org/v/1:23?at=12:05 · 1:75 · 12:05pm · 2:00:00 · 59:59";
    render(<LinkedText text={text} moments={momentLinks(3600)} />);
    expect(screen.getAllByRole("link").map((a) => [a.textContent, a.getAttribute("href")])).toEqual([
      ["https://example.org/v/1:23?at=12:05", "https://example.org/v/1:23?at=12:05"],
      ["59:59", "/watch/m-1?t=3599"],
    ]);
  });

  it("keeps markup around a timestamp as text", () => {
    const { container } = render(<LinkedText text='<b onclick="x()">1:23</b>' moments={momentLinks()} />);
    expect(container.querySelector("b")).toBeNull();
    expect(screen.getByRole("link", { name: "1:23" })).toHaveAttribute("href", "/watch/m-1?t=83");
    expect(container).toHaveTextContent('<b onclick="x()">1:23</b>');
  });
});
