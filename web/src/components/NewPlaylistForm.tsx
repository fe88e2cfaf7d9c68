import { useState, type FormEvent, type Ref } from "react";
import { LIMITS } from "../api/limits";
import { useSessionDraft } from "../lib/useSessionDraft";
import { SubmitButton } from "./SubmitButton";

const NEW_PLAYLIST = { form: "new-playlist", id: "new" } as const;
const NO_TITLE = { title: "" };

/**
 * "New playlist": a title (the API's title limit, from the generated LIMITS)
 * and Create; `onCreate` makes it, and the field empties once it has. The focus
 * stays where it was, on the field or on Create (held, not disabled, meanwhile),
 * so that it was made is said (it was seen only, in the list that grew). A title typed when
 * the session ended is kept, and back in the field once signed in again.
 */
export function NewPlaylistForm({
  busy,
  onCreate,
  fieldRef,
}: {
  busy: boolean;
  onCreate: (title: string) => Promise<boolean>;
  /** The title field, for a dialog to focus. */
  fieldRef?: Ref<HTMLInputElement>;
}) {
  const draft = useSessionDraft(NEW_PLAYLIST, NO_TITLE);
  const title = draft.values.title;
  const setTitle = (text: string) => draft.change("title", text);
  const [created, setCreated] = useState("");
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setCreated("");
    const made = title.trim();
    if (!(await onCreate(made))) return;
    setTitle("");
    setCreated(`Playlist “${made}” created.`);
  };
  return (
    <form className="new-playlist" onSubmit={(e) => void submit(e)} aria-label="New playlist">
      <label>
        New playlist
        <input
          ref={fieldRef}
          value={title}
          onChange={(e) => setTitle(e.target.value)}
          maxLength={LIMITS.title}
          required
          placeholder="Title"
        />
      </label>
      <SubmitButton busy={busy}>Create</SubmitButton>
      <p className="visually-hidden" role="status" data-testid="playlist-created">
        {created}
      </p>
    </form>
  );
}
