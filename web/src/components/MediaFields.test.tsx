import { render, screen } from "@testing-library/react";
import { useState } from "react";
import { describe, expect, it, vi } from "vitest";
import { LIMITS } from "../api/limits";
import { setupUser } from "../test/render";
import { API, HttpResponse, http, recordRequests, sentTo, server } from "../test/server";
import { CHAPTERS_HINT, DescriptionAndTagsFields, TitleField } from "./MediaFields";

/** The title, description and tags fields of a form, holding what is typed (a video of `durationSeconds`). */
function MediaForm({ durationSeconds }: { durationSeconds?: number | null }) {
  const [title, setTitle] = useState("");
  const [description, setDescription] = useState("");
  const [tags, setTags] = useState("");
  return (
    <form>
      <TitleField value={title} onChange={setTitle} />
      <DescriptionAndTagsFields
        description={description}
        onDescription={setDescription}
        tags={tags}
        onTags={setTags}
        tagsPlaceholder="comma, separated"
        durationSeconds={durationSeconds}
      />
    </form>
  );
}

const cutNotices = () => screen.getAllByTestId("paste-cut").map((p) => p.textContent);

describe("MediaFields", () => {
  it("says, politely, that a paste past the description's limit was cut, and counts", async () => {
    expect(LIMITS.description).toBe(5000);
    const user = setupUser();
    render(<MediaForm />);
    const description = screen.getByRole("textbox", { name: "Description" });
    // The live regions are there before anything is said in them.
    expect(screen.getAllByTestId("paste-cut").every((p) => p.getAttribute("role") === "status")).toBe(true);
    expect(cutNotices()).toEqual(["", ""]);

    await user.click(description);
    await user.paste("x".repeat(8000));

    expect(description).toHaveValue("x".repeat(5000));
    expect(cutNotices()).toEqual([
      "",
      "The pasted text was cut at 5,000 characters: its last 3,000 are left out.",
    ]);
    expect(description).toHaveAccessibleDescription(`${CHAPTERS_HINT} 5,000 of 5,000 characters`);

    // Shortened: what was cut is old news; the count stays while it is near the limit.
    await user.keyboard("{Backspace}");
    expect(cutNotices()).toEqual(["", ""]);
    expect(description).toHaveAccessibleDescription(`${CHAPTERS_HINT} 4,999 of 5,000 characters`);
  });

  it("says under the description that a timestamp list there becomes the chapters", () => {
    render(<MediaForm />);
    const description = screen.getByRole("textbox", { name: "Description" });
    expect(description).toHaveAccessibleDescription(CHAPTERS_HINT);
    expect(CHAPTERS_HINT).toMatch(/“0:00 Intro”.*become its chapters, over the file’s/);
  });

  it("counts the title only near its limit, and says nothing of a paste that fits", async () => {
    const user = setupUser();
    render(<MediaForm />);
    const title = screen.getByRole("textbox", { name: "Title" });

    await user.click(title);
    await user.paste("y".repeat(150));
    expect(title).not.toHaveAccessibleDescription();
    await user.paste("y".repeat(10));
    expect(title).toHaveAccessibleDescription("160 of 200 characters");
    expect(cutNotices()).toEqual(["", ""]);

    await user.paste("z".repeat(100));
    expect(title).toHaveValue(`${"y".repeat(160)}${"z".repeat(40)}`);
    expect(cutNotices()[0]).toBe("The pasted text was cut at 200 characters: its last 60 are left out.");
  });

  describe("timestamped lines that make no chapters", () => {
    const WALK = "0:00 Warm-up\n0:05 Drills\n0:20 Cool-down";
    const CHAPTERS = `/catalogue/description-chapters`;
    /** The server's reading: its rule, here its answer to the walk's list on a 25 s video. */
    function serverReads(unusedBecause: string | null) {
      server.use(
        http.post(`${API}${CHAPTERS}`, () =>
          HttpResponse.json({ chapters: [], unused_because: unusedBecause }),
        ),
      );
    }
    const notice = () => screen.getByTestId("chapters-unused");

    it("says why under the description, as the server reads it for the video's length, once typing stops", async () => {
      serverReads("each chapter must last at least 10 seconds");
      const seen = recordRequests();
      const user = setupUser();
      render(<MediaForm durationSeconds={25} />);
      expect(notice()).toHaveAttribute("role", "status"); // there before anything is said in it
      expect(notice()).toHaveTextContent("");
      await user.click(screen.getByRole("textbox", { name: "Description" }));
      await user.paste(WALK);

      expect(
        await screen.findByText("These times are not shown as chapters: each chapter must last at least 10 seconds."),
      ).toBe(notice());
      const asked = sentTo(seen, "POST", `${API}${CHAPTERS}`);
      expect(asked).toHaveLength(1); // once typing stopped, not a request a key
      expect(await asked[0]?.request.json()).toEqual({ description: WALK, duration_seconds: 25 });
    });

    it("says nothing of a description without times, nor of times that make chapters", async () => {
      const seen = recordRequests();
      const user = setupUser();
      render(<MediaForm />);
      const description = screen.getByRole("textbox", { name: "Description" });
      await user.click(description);
      await user.paste("Practice at the club.");
      await new Promise((resolve) => setTimeout(resolve, 700));
      expect(sentTo(seen, "POST", `${API}${CHAPTERS}`)).toHaveLength(0);

      serverReads(null);
      await user.clear(description);
      await user.paste("0:00 Warm-up\n0:10 Drills\n0:20 Cool-down");
      await vi.waitFor(() => expect(sentTo(seen, "POST", `${API}${CHAPTERS}`)).toHaveLength(1));
      expect(await sentTo(seen, "POST", `${API}${CHAPTERS}`)[0]?.request.json()).toEqual({
        description: "0:00 Warm-up\n0:10 Drills\n0:20 Cool-down",
        duration_seconds: null, // not known before the file is read
      });
      expect(notice()).toHaveTextContent("");
    });
  });
});
