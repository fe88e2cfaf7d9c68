import { useState, type FormEvent } from "react";
import { LIMITS } from "../api/limits";
import { SubmitButton } from "./SubmitButton";

/**
 * "New playlist": a title (the API's title limit, from the generated LIMITS)
 * and Create; `onCreate` makes it, and the field empties once it has. The focus
 * stays where it was, on the field or on Create (held, not disabled, meanwhile),
 * so that it was made is said (it was seen only, in the list that grew).
 */
export function NewPlaylistForm({ busy, onCreate }: { busy: boolean; onCreate: (title: string) => Promise<boolean> }) {
  const [title, setTitle] = useState("");
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
