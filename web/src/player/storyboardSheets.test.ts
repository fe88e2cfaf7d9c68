import { describe, expect, it, vi } from "vitest";
import { API, http, HttpResponse, recordRequests, server } from "../test/server";
import { StoryboardSheets } from "./storyboardSheets";
import { withoutToken } from "./streamToken";

const SHEET = `${API}/stream/:token/storyboard/sheet_001.jpg`;
const jpeg = () => new HttpResponse(new Uint8Array([0xff, 0xd8, 0xff, 0xd9]), { headers: { "Content-Type": "image/jpeg" } });

describe("storyboard sheets", () => {
  it("know a sheet by its path under any token", () => {
    expect(withoutToken("http://h/api/v1/stream/T1/storyboard/sheet_001.jpg")).toBe("http://h/api/v1/stream/storyboard/sheet_001.jpg");
    expect(withoutToken("/api/v1/stream/T2/storyboard/sheet_001.jpg")).toBe("/api/v1/stream/storyboard/sheet_001.jpg");
    expect(withoutToken("/api/v1/catalogue/m-1")).toBe("/api/v1/catalogue/m-1");
  });

  it("download a sheet once on the token in force, whichever token a cue names, until closed", async () => {
    server.use(http.get(SHEET, jpeg));
    const seen = recordRequests();
    let token = "T1";
    const sheets = new StoryboardSheets((url) => url.replace(/stream\/[^/]+/, `stream/${token}`));
    const changed = vi.fn();
    sheets.subscribe(changed);

    sheets.want("/api/v1/stream/T0/storyboard/sheet_001.jpg");
    sheets.want("/api/v1/stream/T0/storyboard/sheet_001.jpg"); // on its way: not asked twice
    await vi.waitFor(() => expect(changed).toHaveBeenCalledTimes(1));
    const picture = sheets.picture("/api/v1/stream/T0/storyboard/sheet_001.jpg");
    expect(picture).toMatch(/^blob:/);

    token = "T2"; // a renewal
    sheets.want("/api/v1/stream/T2/storyboard/sheet_001.jpg");
    expect(sheets.picture("/api/v1/stream/T2/storyboard/sheet_001.jpg")).toBe(picture);
    expect(seen.map((r) => r.url.pathname)).toEqual(["/api/v1/stream/T1/storyboard/sheet_001.jpg"]);

    const revoked = vi.spyOn(URL, "revokeObjectURL");
    sheets.close();
    expect(revoked).toHaveBeenCalledWith(picture);
    expect(sheets.picture("/api/v1/stream/T2/storyboard/sheet_001.jpg")).toBeNull();
  });

  it("try a sheet that failed again when it is next wanted", async () => {
    let answers = 0;
    server.use(http.get(SHEET, () => (++answers === 1 ? new HttpResponse(null, { status: 503 }) : jpeg())));
    const sheets = new StoryboardSheets((url) => url);
    const url = "/api/v1/stream/T1/storyboard/sheet_001.jpg";
    sheets.want(url);
    await vi.waitFor(() => expect(answers).toBe(1));
    expect(sheets.picture(url)).toBeNull();
    // Wanted again (the next hover) once the failure is in: a second request, then the sheet.
    await vi.waitFor(() => {
      sheets.want(url);
      expect(sheets.picture(url)).toMatch(/^blob:/);
    });
    expect(answers).toBe(2);
    sheets.close();
  });
});
