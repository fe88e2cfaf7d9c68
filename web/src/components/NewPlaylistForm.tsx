import { useRef, useState, type FormEvent } from "react";
import { LIMITS } from "../api/limits";

/**
 * "New playlist": a title (the API's title limit, from the generated LIMITS)
 * and Create; `onCreate` makes it, and the field empties once it has, keeping
 * the focus (the button is disabled meanwhile, which would drop it).
 */
export function NewPlaylistForm({ busy, onCreate }: { busy: boolean; onCreate: (title: string) => Promise<boolean> }) {
  const [title, setTitle] = useState("");
  const field = useRef<HTMLInputElement>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (await onCreate(title.trim())) setTitle("");
    field.current?.focus();
  };
  return (
    <form className="new-playlist" onSubmit={(e) => void submit(e)} aria-label="New playlist">
      <label>
        New playlist
        <input
          ref={field}
          value={title}
          onChange={(e) => setTitle(e.target.value)}
          maxLength={LIMITS.title}
          required
          placeholder="Title"
        />
      </label>
      <button type="submit" className="button" disabled={busy}>
        Create
      </button>
    </form>
  );
}
