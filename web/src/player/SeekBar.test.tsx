import { fireEvent, render, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { API, http, HttpResponse, recordRequests, server } from "../test/server";
import { SeekBar } from "./SeekBar";
import { StoryboardSheets } from "./storyboardSheets";

const SHEET_URL = `${API}/stream/T1/storyboard/sheet_001.jpg`;
const CUES = [{ start: 0, end: 30, image: SHEET_URL, x: 0, y: 0, width: 160, height: 90 }];
const jpeg = () => new HttpResponse(new Uint8Array([0xff, 0xd8, 0xff, 0xd9]), { headers: { "Content-Type": "image/jpeg" } });

describe("the seek preview", () => {
  it("shows the time alone until the storyboard sheet is in, not an empty frame", async () => {
    let send: () => void = () => undefined;
    const arrived = new Promise<void>((resolve) => (send = resolve));
    server.use(http.get(`${API}/stream/:token/storyboard/sheet_001.jpg`, async () => (await arrived, jpeg())));
    const sheets = new StoryboardSheets((url) => url);
    render(
      <SeekBar time={0} duration={30} buffered={0} onSeek={vi.fn()} storyboard={CUES} sheets={sheets} onPreviewWanted={vi.fn()} />,
    );
    const seek = screen.getByRole("slider", { name: "Seek" });
    seek.getBoundingClientRect = () => ({ left: 0, width: 300 }) as DOMRect;
    fireEvent.pointerMove(seek, { clientX: 150 });
    expect(screen.getByTestId("seek-preview")).toHaveTextContent("0:15");
    expect(screen.queryByTestId("storyboard-frame")).not.toBeInTheDocument();
    send();
    const frame = await screen.findByTestId("storyboard-frame");
    expect(frame.style.backgroundImage).toMatch(/^url\("blob:/);
    sheets.close();
  });
});

describe("storyboard sheets while a seek waits", () => {
  it("stop a sheet on its way and load none until the seek has its picture", async () => {
    server.use(http.get(`${API}/stream/:token/storyboard/sheet_001.jpg`, jpeg));
    const seen = recordRequests();
    const sheets = new StoryboardSheets((url) => url);
    const changed = vi.fn();
    sheets.subscribe(changed);
    sheets.yieldToSeek();
    sheets.want(SHEET_URL);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(seen).toEqual([]);
    sheets.resume();
    await vi.waitFor(() => expect(sheets.picture(SHEET_URL)).toMatch(/^blob:/));
    expect(seen).toHaveLength(1);
    expect(changed).toHaveBeenCalledTimes(1);
    sheets.close();
  });
});
