import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { mediaItem } from "../test/fixtures";
import { ProcessingBadge, processingLabel } from "./ProcessingStatus";

const failed = (overrides: Parameters<typeof mediaItem>[0]) =>
  mediaItem({ processing_state: "failed", processing_detail: "out of memory", ...overrides });

describe("processingLabel", () => {
  it("tells a failure that left the video unplayable as such", () => {
    expect(processingLabel(failed({ playable: false }))).toBe("Processing failed: out of memory");
  });

  it("tells a failed re-transcode that the earlier version still plays", () => {
    expect(processingLabel(failed({ playable: true, has_hls: true }))).toBe(
      "Transcoding failed (out of memory); still playing the version it had",
    );
    expect(processingLabel(failed({ playable: true, renditions: [{ height: 240, bandwidth: 400_000 }] }))).toBe(
      "Transcoding failed (out of memory); still playing the version it had",
    );
  });

  it("tells a failed first transcode that the file plays as uploaded", () => {
    expect(processingLabel(failed({ playable: true, has_hls: false, processing_detail: null }))).toBe(
      "Transcoding failed; still playing the file as uploaded",
    );
  });
});

describe("ProcessingBadge", () => {
  it("is a red Failed for a video that cannot play, a plain one for a video that still does", () => {
    const { rerender } = render(<ProcessingBadge item={failed({ playable: false })} />);
    expect(screen.getByTestId("processing-badge")).toHaveTextContent("Failed");
    expect(screen.getByTestId("processing-badge")).toHaveClass("failed");

    rerender(<ProcessingBadge item={failed({ playable: true, has_hls: true })} />);
    expect(screen.getByTestId("processing-badge")).toHaveTextContent("Transcode failed");
    expect(screen.getByTestId("processing-badge")).not.toHaveClass("failed");
  });
});
