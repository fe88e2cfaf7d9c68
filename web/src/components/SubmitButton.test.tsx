import { render, screen, waitFor } from "@testing-library/react";
import { useState, type FormEvent } from "react";
import { describe, expect, it } from "vitest";
import { createPlaylist } from "../api/playlists";
import { FormError } from "./ErrorMessage";
import { useAction } from "../lib/useAction";
import { setupUser } from "../test/render";
import { API, apiError, holdAnswer, http, recordRequests, sentTo, server } from "../test/server";
import { SubmitButton } from "./SubmitButton";

/** A form as the pages make them: a field, useAction around the request, and its SubmitButton. */
function TitleForm() {
  const [title, setTitle] = useState("Later");
  const { running, error, run } = useAction();
  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    void run("create", "Could not create", async () => {
      await createPlaylist({ title });
    });
  }
  return (
    <form onSubmit={onSubmit} aria-label="Title form">
      <label>
        Title
        <input value={title} onChange={(e) => setTitle(e.target.value)} />
      </label>
      <FormError message={error} />
      <SubmitButton busy={running !== null}>Create</SubmitButton>
    </form>
  );
}

/** Creating a playlist waits until `refuse` is called, then is refused. */
function heldCreate() {
  const { held, release } = holdAnswer();
  server.use(
    http.post(`${API}/catalogue/me/playlists`, async () => {
      await held;
      return apiError(409, "conflict", "Not now");
    }),
  );
  return { refuse: release, seen: recordRequests() };
}

describe("SubmitButton", () => {
  it("keeps the focus while its request runs and after it fails, and sends the form once however it is pressed", async () => {
    const { refuse, seen } = heldCreate();
    const user = setupUser();
    render(<TitleForm />);
    const button = screen.getByRole("button", { name: "Create" });

    await user.tab();
    await user.tab();
    expect(button).toHaveFocus();
    await user.keyboard("{Enter}");
    await waitFor(() => expect(sentTo(seen, "POST", `${API}/catalogue/me/playlists`)).toHaveLength(1));

    // Held, not disabled: the focus stays on it, and it says it is unavailable. (jsdom leaves
    // the focus on a disabled button, which Chromium does not: not.toBeDisabled is the check.)
    expect(button).toHaveFocus();
    expect(button).not.toBeDisabled();
    expect(button).toHaveAttribute("aria-disabled", "true");

    // Pressed again, clicked, and Enter in the field while the request runs: nothing more is sent.
    await user.keyboard(" ");
    await user.click(button);
    await user.type(screen.getByRole("textbox", { name: "Title" }), "{Enter}");
    await user.click(button);
    refuse();

    expect(await screen.findByRole("alert")).toHaveTextContent("Could not create: Not now");
    expect(sentTo(seen, "POST", `${API}/catalogue/me/playlists`)).toHaveLength(1);
    expect(button).not.toHaveAttribute("aria-disabled");
  });

  it("keeps the focus on the button after a failed request pressed with Space", async () => {
    const { refuse, seen } = heldCreate();
    const user = setupUser();
    render(<TitleForm />);
    const button = screen.getByRole("button", { name: "Create" });

    button.focus();
    await user.keyboard(" ");
    await waitFor(() => expect(button).toHaveAttribute("aria-disabled", "true"));
    await waitFor(() => expect(button).toHaveFocus());
    refuse();

    expect(await screen.findByRole("alert")).toHaveTextContent("Not now");
    await waitFor(() => expect(button).toHaveFocus());
    expect(sentTo(seen, "POST", `${API}/catalogue/me/playlists`)).toHaveLength(1);
    // Once the request is over, the form is sent again.
    await user.click(button);
    await waitFor(() => expect(sentTo(seen, "POST", `${API}/catalogue/me/playlists`)).toHaveLength(2));
  });
});
