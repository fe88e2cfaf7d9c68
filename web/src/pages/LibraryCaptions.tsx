import { useCallback, useId, useRef, useState, type FormEvent } from "react";
import { deleteCaption, putCaption, type CaptionTrack } from "../api/captions";
import { getItem } from "../api/catalogue";
import { ApiError, errorMessage } from "../api/errors";
import { LIMITS } from "../api/limits";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { ErrorMessage, FormError } from "../components/ErrorMessage";
import { Field } from "../components/Field";
import { LANGUAGE, languageName, normaliseLanguage } from "../lib/language";
import { useAsync } from "../lib/useAsync";

/** The tag shapes the API accepts (`en`, `pt-BR`, `zh-Hans-CN`). */
const LANGUAGE_MAX = LIMITS.captionLanguage;
const LABEL_MAX = LIMITS.captionLabel;
const ACCEPT = ".vtt,.srt,text/vtt,application/x-subrip";

/** A refusal of the file itself (too large, not UTF-8, not WebVTT/SubRip …), shown at the file field. */
function isFileProblem(err: unknown): err is ApiError {
  return err instanceof ApiError && err.code.startsWith("caption_") && err.code !== "caption_not_found";
}

function sourceText(track: CaptionTrack): string {
  return track.source === "embedded" ? "from the video" : "uploaded";
}

/**
 * The caption tracks of one item on the library's edit form: each with
 * replace and remove, and a form to add one (language, label, file).
 */
export function LibraryCaptions({ itemId, title }: { itemId: string; title: string }) {
  const headingId = useId();
  // Lists carry no tracks: the item itself does.
  const fetchTracks = useCallback(
    (signal: AbortSignal) => getItem(itemId, signal).then((item) => item.captions ?? []),
    [itemId],
  );
  const { data: tracks, error, loading, reload, setData } = useAsync(fetchTracks);
  const [pendingRemove, setPendingRemove] = useState<CaptionTrack | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const saved = useCallback(
    (next: CaptionTrack[], message: string) => {
      setData(() => next);
      setActionError(null);
      setNotice(message);
    },
    [setData],
  );

  async function replace(track: CaptionTrack, file: File) {
    setBusy(track.language);
    setNotice(null);
    try {
      saved(await putCaption(itemId, track.language, file), `Replaced “${track.label}”.`);
    } catch (err) {
      setActionError(`Could not replace “${track.label}”: ${errorMessage(err)}`);
    } finally {
      setBusy(null);
    }
  }

  async function remove() {
    const track = pendingRemove;
    if (!track) return;
    setBusy(track.language);
    setNotice(null);
    try {
      await deleteCaption(itemId, track.language);
      saved(tracks?.filter((t) => t.language !== track.language) ?? [], `Removed “${track.label}”.`);
    } catch (err) {
      setActionError(`Could not remove “${track.label}”: ${errorMessage(err)}`);
    } finally {
      setBusy(null);
      setPendingRemove(null);
    }
  }

  return (
    <section className="library-captions" aria-labelledby={headingId} data-testid="library-captions">
      <h3 id={headingId}>Captions</h3>
      <div aria-live="polite" className="status-line small">
        {loading && <span role="status">Loading captions…</span>}
        {notice && <span>{notice}</span>}
      </div>
      <ErrorMessage error={error} onRetry={reload} />
      {tracks?.length === 0 && <p className="muted small">No captions yet.</p>}
      {tracks && tracks.length > 0 && (
        <ul className="caption-tracks" aria-label={`Captions of ${title}`}>
          {tracks.map((track) => (
            <CaptionRow
              key={track.language}
              track={track}
              busy={busy !== null}
              onReplace={(file) => void replace(track, file)}
              onRemove={() => setPendingRemove(track)}
            />
          ))}
        </ul>
      )}
      <FormError message={actionError} testId="caption-error" />
      {tracks && tracks.length >= LIMITS.captionTracks && (
        <p className="muted small" data-testid="captions-full">
          An item has at most {LIMITS.captionTracks} caption tracks: replace or remove one to add another language.
        </p>
      )}
      {tracks && tracks.length < LIMITS.captionTracks && <AddCaption itemId={itemId} onSaved={saved} />}
      {pendingRemove && (
        <ConfirmDialog
          title="Remove these captions?"
          confirmLabel="Remove"
          busy={busy !== null}
          onConfirm={() => void remove()}
          onCancel={() => setPendingRemove(null)}
        >
          <p>
            Viewers will no longer see “{pendingRemove.label}” ({pendingRemove.language}) on “{title}”.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}

function CaptionRow({
  track,
  busy,
  onReplace,
  onRemove,
}: {
  track: CaptionTrack;
  busy: boolean;
  onReplace: (file: File) => void;
  onRemove: () => void;
}) {
  const fileRef = useRef<HTMLInputElement>(null);
  return (
    <li className="caption-track" data-testid="caption-track">
      <span>
        <strong>{track.label}</strong>{" "}
        <span className="muted small">
          {track.language} · {sourceText(track)}
        </span>
      </span>
      <span className="button-row">
        {/* The button opens the picker: a file input cannot carry this label visibly. */}
        <button
          type="button"
          className="button"
          disabled={busy}
          aria-label={`Replace ${track.label}`}
          onClick={() => fileRef.current?.click()}
        >
          Replace
        </button>
        <input
          ref={fileRef}
          type="file"
          accept={ACCEPT}
          className="visually-hidden"
          tabIndex={-1}
          aria-hidden="true"
          aria-label={`New file for ${track.label}`}
          onChange={(e) => {
            const file = e.target.files?.[0];
            e.target.value = ""; // the same file again is a new choice
            if (file) onReplace(file);
          }}
        />
        <button
          type="button"
          className="button danger"
          disabled={busy}
          aria-label={`Remove ${track.label}`}
          onClick={onRemove}
        >
          Remove
        </button>
      </span>
    </li>
  );
}

interface Problems {
  language?: string;
  label?: string;
  file?: string;
  form?: string;
}

function check(language: string, label: string, file: File | null): Problems {
  const problems: Problems = {};
  if (!LANGUAGE.test(language) || language.length > LANGUAGE_MAX) {
    problems.language = "Use a language tag such as en, fr or pt-BR.";
  }
  if (label.length > LABEL_MAX) problems.label = `At most ${LABEL_MAX} characters.`;
  if (!file) problems.file = "Choose a WebVTT (.vtt) or SubRip (.srt) file.";
  return problems;
}

/** Language, label and file; the same language again replaces that track. */
function AddCaption({
  itemId,
  onSaved,
}: {
  itemId: string;
  onSaved: (tracks: CaptionTrack[], message: string) => void;
}) {
  const [language, setLanguage] = useState("");
  const [label, setLabel] = useState("");
  const [file, setFile] = useState<File | null>(null);
  const [fileKey, setFileKey] = useState(0);
  const [problems, setProblems] = useState<Problems>({});
  const [busy, setBusy] = useState(false);
  const tag = normaliseLanguage(language);
  const suggested = languageName(tag);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const found = check(tag, label.trim(), file);
    setProblems(found);
    if (Object.keys(found).length > 0 || !file) return;
    setBusy(true);
    try {
      const name = label.trim() || suggested || undefined;
      const tracks = await putCaption(itemId, tag, file, name);
      onSaved(tracks, `Added “${tracks.find((t) => t.language === tag)?.label ?? tag}”.`);
      setLanguage("");
      setLabel("");
      setFile(null);
      setFileKey((k) => k + 1); // a fresh, empty file input
    } catch (err) {
      setProblems(isFileProblem(err) ? { file: err.detail } : { form: errorMessage(err) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="form compact add-caption" aria-label="Add captions" noValidate onSubmit={(e) => void submit(e)}>
      <div className="add-caption-fields">
        <Field label="Language" hint="A tag such as en, fr or pt-BR" error={problems.language}>
          {(control) => (
            <input
              {...control}
              type="text"
              required
              autoComplete="off"
              spellCheck={false}
              maxLength={LANGUAGE_MAX}
              value={language}
              onChange={(e) => setLanguage(e.target.value)}
            />
          )}
        </Field>
        <Field label="Label" hint="Shown in the player's menu" error={problems.label}>
          {(control) => (
            <input
              {...control}
              type="text"
              maxLength={LABEL_MAX}
              placeholder={suggested ?? "English"}
              value={label}
              onChange={(e) => setLabel(e.target.value)}
            />
          )}
        </Field>
      </div>
      <Field label="Caption file" hint="WebVTT (.vtt) or SubRip (.srt), UTF-8" error={problems.file}>
        {(control) => (
          <input
            {...control}
            key={fileKey}
            type="file"
            accept={ACCEPT}
            required
            onChange={(e) => setFile(e.target.files?.[0] ?? null)}
          />
        )}
      </Field>
      <FormError message={problems.form} />
      <div className="button-row">
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? "Uploading…" : "Add captions"}
        </button>
      </div>
    </form>
  );
}
