import { useState, type FormEvent } from "react";
import { LIMITS } from "../api/limits";
import { SubmitButton } from "./SubmitButton";

/**
 * "New playlist": a title (the API's title limit, from the generated LIMITS)
 * and Create; `onCreate` makes it, and the field empties once it has. The focus
 * stays where it was, on the field or on Create (held, not disabled, meanwhile).
 */
export function NewPlaylistForm({ busy, onCreate }: { busy: boolean; onCreate: (title: string) => Promise<boolean> }) {
  const [title, setTitle] = useState("");
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (await onCreate(title.trim())) setTitle("");
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
    </form>
  );
}
