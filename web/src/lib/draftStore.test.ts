import { describe, expect, it } from "vitest";
import { draftKey, forgetDrafts, keepDraft, readDraft } from "./draftStore";

const SHAPE = { title: "", description: "" };
const DRAFT = { base: { title: "A", description: "" }, values: { title: "B", description: "x" } };

describe("draftStore", () => {
  it("reads back a kept draft only when it has every field the form has now", () => {
    const key = draftKey("u-1", { form: "playlist", id: "p-1" });
    keepDraft(key, DRAFT);
    expect(readDraft(key, SHAPE)).toEqual(DRAFT);
    // Kept by an older form without "tags": nothing to restore, rather than a half-filled form.
    expect(readDraft(key, { ...SHAPE, tags: "" })).toBeNull();
    sessionStorage.setItem(key, "not json");
    expect(readDraft(key, SHAPE)).toBeNull();
  });

  it("forgets every draft but the signed-in user's, and nothing else the tab keeps", () => {
    const mine = draftKey("u-1", { form: "item", id: "m-1" });
    const theirs = draftKey("u-12", { form: "item", id: "m-1" });
    keepDraft(mine, DRAFT);
    keepDraft(theirs, DRAFT);
    sessionStorage.setItem("streamstack.other", "1");

    forgetDrafts("u-1");
    expect(Object.keys(sessionStorage).sort()).toEqual([mine, "streamstack.other"]);
    forgetDrafts();
    expect(Object.keys(sessionStorage)).toEqual(["streamstack.other"]);
  });
});
