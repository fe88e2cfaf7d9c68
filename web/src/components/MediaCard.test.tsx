import { render, screen } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { describe, expect, it } from "vitest";
import { mediaItem } from "../test/fixtures";
import { MediaCard, Thumbnail } from "./MediaCard";

/** The still and the blurred copy behind it (null when the still fills the box by itself). */
function pictures(item: ReturnType<typeof mediaItem>) {
  const { container } = render(
    <MemoryRouter>
      <Thumbnail item={item} />
    </MemoryRouter>,
  );
  return {
    still: container.querySelector("[data-testid=still]"),
    backdrop: container.querySelector("img.thumb-backdrop"),
  };
}

describe("Thumbnail", () => {
  it("crops a 16:9 video's still to the card", () => {
    const { still, backdrop } = pictures(mediaItem({ width: 1920, height: 1080 }));
    expect(still).not.toHaveClass("thumb-whole");
    expect(backdrop).toBeNull();
  });

  it("shows a sound's cover whole, over a blurred copy of itself", () => {
    const { still, backdrop } = pictures(mediaItem({ video_codec: null, width: null, height: null }));
    expect(still).toHaveClass("thumb-whole");
    expect(backdrop).toHaveAttribute("src", "/api/v1/stream/thumbnails/m-1.jpg");
    expect(backdrop).toHaveAttribute("alt", "");
  });

  it.each([
    ["portrait", 1080, 1920],
    ["4:3", 640, 480],
    ["scope", 1920, 800],
  ])("shows a %s video's still whole", (_shape, width, height) => {
    const { still, backdrop } = pictures(mediaItem({ width, height }));
    expect(still).toHaveClass("thumb-whole");
    expect(backdrop).not.toBeNull();
  });

  it("needs no backdrop without a still", () => {
    const { backdrop } = pictures(mediaItem({ video_codec: null, thumbnail_url: null, poster_url: null }));
    expect(backdrop).toBeNull();
  });
});

describe("MediaCard", () => {
  function card(item: ReturnType<typeof mediaItem>) {
    render(
      <MemoryRouter>
        <MediaCard item={item} />
      </MemoryRouter>,
    );
  }

  it("tells an admin that a video in Browse is unlisted (viewers never see it there)", () => {
    card(mediaItem({ status: "published", visibility: "unlisted" }));
    expect(screen.getByText("Unlisted")).toHaveClass("badge");
  });

  it("says nothing of a listed video's visibility, nor of an unlisted draft's (it says Draft)", () => {
    card(mediaItem({ status: "published", visibility: "listed" }));
    expect(screen.queryByText("Unlisted")).toBeNull();
    card(mediaItem({ status: "draft", visibility: "unlisted" }));
    expect(screen.getByText("Draft")).toBeInTheDocument();
    expect(screen.queryByText("Unlisted")).toBeNull();
  });
});

describe("MediaCard's processing badge", () => {
  /** The card of `item` in a list. */
  function card(item: ReturnType<typeof mediaItem>) {
    return render(
      <MemoryRouter>
        <ul>
          <MediaCard item={item} />
        </ul>
      </MemoryRouter>,
    );
  }

  it("tells an admin a transcode failed, but not a viewer, to whom the video just plays", () => {
    const failedButPlays = { processing_state: "failed" as const, playable: true, has_hls: true };
    card(mediaItem({ ...failedButPlays, processing_detail: "out of memory" }));
    expect(screen.getByTestId("processing-badge")).toHaveTextContent("Transcode failed");
  });

  it("shows a viewer (no library fields in the answer) no processing badge", () => {
    card(mediaItem({ processing_state: "processing", processing_percent: 40 }));
    expect(screen.queryByTestId("processing-badge")).not.toBeInTheDocument();
  });
});
