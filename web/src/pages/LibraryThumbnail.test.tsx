import { screen, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LIMITS } from "../api/limits";
import { setAccessToken } from "../api/tokenStore";
import { mediaItem } from "../test/fixtures";
import { API, apiError, holdAnswer, http, ok, recordRequests, sentTo, server, tagList } from "../test/server";
import { openLibraryEditing } from "../test/library";

const THUMBNAIL = `${API}/ingest/items/v/thumbnail`;
const IMAGE = `${THUMBNAIL}/image`;
const CLIP = mediaItem({ id: "v", title: "Holiday" });
const SONG = mediaItem({
  id: "s",
  title: "Song",
  content_type: "audio/mpeg",
  video_codec: null,
  thumbnail_url: null,
  poster_url: null,
});
const CHOSEN = {
  media_id: "v",
  source: "image" as const,
  at_seconds: null,
  thumbnail_url: "/api/v1/stream/thumbnails/v.jpg?v=0123456789abcdef",
  poster_url: "/api/v1/stream/thumbnails/v-poster.jpg?v=0123456789abcdef",
};
const revoked = vi.fn();
const PNG = new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3])], "cover.png", { type: "image/png" });

beforeEach(() => {
  setAccessToken("tok-admin", 1800);
  server.use(tagList());
  // jsdom makes no object URLs: the preview's is a stand-in.
  revoked.mockClear();
  URL.createObjectURL = vi.fn(() => "blob:preview");
  URL.revokeObjectURL = revoked;
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** The library with `item`, its edit form open. */
function edit(item = CLIP) {
  return openLibraryEditing(item);
}

async function section() {
  return screen.findByTestId("library-thumbnail");
}

describe("LibraryThumbnail", () => {
  it("shows the picked image before saving it, then sends its bytes and shows the new thumbnail", async () => {
    const user = await edit();
    const { held, release } = holdAnswer();
    server.use(
      http.put(IMAGE, async () => {
        await held;
        return ok(CHOSEN);
      }),
    );
    const seen = recordRequests();
    const thumbnail = await section();
    expect(within(thumbnail).getByRole("img", { name: "Current thumbnail" })).toHaveAttribute("src", CLIP.thumbnail_url);

    await user.upload(within(thumbnail).getByLabelText("Upload image"), PNG);

    expect(within(thumbnail).getByRole("img", { name: "Preview of the new thumbnail" })).toHaveAttribute(
      "src",
      "blob:preview",
    );
    expect(sentTo(seen, "PUT", IMAGE)).toHaveLength(0); // nothing sent before Save
    await user.click(within(thumbnail).getByRole("button", { name: "Save thumbnail" }));
    expect(await within(thumbnail).findByRole("button", { name: "Uploading…" })).toHaveAttribute(
      "aria-disabled",
      "true",
    );
    release();

    expect(await within(thumbnail).findByRole("status")).toHaveTextContent("Thumbnail set to your image.");
    const [put] = sentTo(seen, "PUT", IMAGE);
    expect(put!.headers.get("Content-Type")).toBe("image/png");
    expect(put!.headers.get("Authorization")).toBe("Bearer tok-admin");
    expect(new Uint8Array(await put!.request.arrayBuffer())).toEqual(new Uint8Array(await PNG.arrayBuffer()));
    expect(within(thumbnail).getByRole("img", { name: "Current thumbnail" })).toHaveAttribute(
      "src",
      CHOSEN.thumbnail_url,
    );
    expect(within(thumbnail).queryByRole("button", { name: "Save thumbnail" })).toBeNull();
  });

  it("tells the server's refusal in its words and keeps the old thumbnail", async () => {
    const user = await edit();
    server.use(
      http.put(IMAGE, () =>
        apiError(422, "image_size", "the image is 30000x30000 pixels: a thumbnail's image has 16 to 8192 pixels a side"),
      ),
    );
    const thumbnail = await section();

    await user.upload(within(thumbnail).getByLabelText("Upload image"), PNG);
    await user.click(within(thumbnail).getByRole("button", { name: "Save thumbnail" }));

    expect(
      await within(thumbnail).findByText(/Could not use the image: .*30000x30000 pixels.*8192 pixels a side/),
    ).toBeInTheDocument();
    expect(within(thumbnail).getByRole("button", { name: "Save thumbnail" })).toBeEnabled();
    expect(within(thumbnail).queryByRole("img", { name: "Current thumbnail" })).toBeNull(); // the preview stays
  });

  it("refuses an image larger than the limit without sending it", async () => {
    const user = await edit();
    const seen = recordRequests();
    const huge = new File(["x"], "huge.png", { type: "image/png" });
    Object.defineProperty(huge, "size", { value: LIMITS.thumbnailImageBytes + 1 });
    const thumbnail = await section();

    await user.upload(within(thumbnail).getByLabelText("Upload image"), huge);

    expect(await within(thumbnail).findByText("The image is larger than 10 MiB: pick a smaller one.")).toBeInTheDocument();
    expect(within(thumbnail).queryByRole("button", { name: "Save thumbnail" })).toBeNull();
    expect(sentTo(seen, "PUT", IMAGE)).toHaveLength(0);
  });

  it("cancels a picked image", async () => {
    const user = await edit();
    const thumbnail = await section();

    await user.upload(within(thumbnail).getByLabelText("Upload image"), PNG);
    await user.click(within(thumbnail).getByRole("button", { name: "Cancel the image" }));

    expect(within(thumbnail).getByRole("img", { name: "Current thumbnail" })).toHaveAttribute("src", CLIP.thumbnail_url);
    expect(revoked).toHaveBeenCalledWith("blob:preview");
  });

  it("goes back to the automatic frame", async () => {
    const user = await edit();
    const automatic = { ...CHOSEN, source: "automatic" as const, thumbnail_url: "/api/v1/stream/thumbnails/v.jpg?v=fedcba9876543210" };
    server.use(http.delete(THUMBNAIL, () => ok(automatic)));
    const seen = recordRequests();
    const thumbnail = await section();

    await user.click(within(thumbnail).getByRole("button", { name: "Use the automatic frame" }));

    expect(await within(thumbnail).findByRole("status")).toHaveTextContent("Thumbnail set to the automatic frame.");
    expect(sentTo(seen, "DELETE", THUMBNAIL)).toHaveLength(1);
    expect(within(thumbnail).getByRole("img", { name: "Current thumbnail" })).toHaveAttribute(
      "src",
      automatic.thumbnail_url,
    );
  });

  it("tells why the automatic frame could not be made", async () => {
    const user = await edit();
    server.use(http.delete(THUMBNAIL, () => apiError(409, "original_missing", "the item's original is no longer stored")));
    const thumbnail = await section();

    await user.click(within(thumbnail).getByRole("button", { name: "Use the automatic frame" }));

    expect(
      await within(thumbnail).findByText(/Could not go back to the automatic frame: .*no longer stored/),
    ).toBeInTheDocument();
  });

  it("gives a sound without a cover an image, and takes it away again", async () => {
    const user = await edit(SONG);
    const songImage = `${API}/ingest/items/s/thumbnail/image`;
    const placed = { ...CHOSEN, media_id: "s", thumbnail_url: "/api/v1/stream/thumbnails/s.jpg?v=0123456789abcdef" };
    server.use(
      http.put(songImage, () => ok(placed)),
      http.delete(`${API}/ingest/items/s/thumbnail`, () =>
        ok({ ...placed, source: "automatic" as const, thumbnail_url: null, poster_url: null }),
      ),
    );
    const thumbnail = await section();
    expect(within(thumbnail).getByText("No thumbnail: the file has no cover.")).toBeInTheDocument();
    // Nothing to go back from, and no frame to pause on.
    expect(within(thumbnail).queryByRole("button", { name: /Use the/ })).toBeNull();
    expect(within(thumbnail).queryByText(/pause on it/)).toBeNull();

    await user.upload(within(thumbnail).getByLabelText("Upload image"), PNG);
    await user.click(within(thumbnail).getByRole("button", { name: "Save thumbnail" }));

    expect(await within(thumbnail).findByRole("status")).toHaveTextContent("Thumbnail set to your image.");
    expect(within(thumbnail).getByRole("img", { name: "Current thumbnail" })).toHaveAttribute("src", placed.thumbnail_url);

    await user.click(within(thumbnail).getByRole("button", { name: "Use the file's own cover" }));

    expect(await within(thumbnail).findByRole("status")).toHaveTextContent("Thumbnail removed: the file has no cover.");
    expect(within(thumbnail).getByText("No thumbnail: the file has no cover.")).toBeInTheDocument();
  });
});
