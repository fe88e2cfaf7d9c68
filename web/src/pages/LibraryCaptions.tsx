import { useCallback, useId, useLayoutEffect, useRef, useState, type FormEvent } from "react";
import { deleteCaption, putCaption, type CaptionTrack, type CaptionTrackList } from "../api/captions";
import { getItem } from "../api/catalogue";
import { ApiError, errorMessage, errorSentence } from "../api/errors";
import { LIMITS } from "../api/limits";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { ErrorMessage, FormError } from "../components/ErrorMessage";
import { DoneNotice, type Notice } from "../components/FocusedMessage";
import { Field, InputField } from "../components/Field";
import { formatDuration } from "../lib/format";
import { LANGUAGE, languageName, normaliseLanguage } from "../lib/language";
import { useAction, type Action } from "../lib/useAction";
import { useAsync } from "../lib/useAsync";
import { ActionButton } from "../components/ActionButton";
import { SubmitButton } from "../components/SubmitButton";
import { CaptionEncodingField, useEncodingChoice, type EncodingChoice } from "./CaptionEncoding";

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
 * The track's language beside its label: its tag, after the language's name where the
 * label is something else ("English, en" under "English (SDH)"), so a tag is never all it says.
 */
function languageText(track: CaptionTrack): string {
  const name = languageName(track.language);
  return name && name !== track.label ? `${name}, ${track.language}` : track.language;
}

/**
 * The caption tracks of one item on the library's edit form: each with
 * replace and remove, and a form to add one (language, label, file).
 */
export function LibraryCaptions({ itemId, title }: { itemId: string; title: string }) {
  const headingId = useId();
  const captions = useCaptionTracks(itemId);
  const { tracks, pendingRemove } = captions;

  return (
    <section className="library-captions" aria-labelledby={headingId} data-testid="library-captions">
      <h3 id={headingId}>Captions</h3>
      <div aria-live="polite" className="status-line small">
        {captions.loading && <span role="status">Loading captions…</span>}
        <DoneNotice message={captions.notice} />
      </div>
      <ErrorMessage error={captions.error} onRetry={captions.reload} />
      {tracks?.length === 0 && <p className="muted small">No captions yet.</p>}
      {tracks && tracks.length > 0 && (
        <ul className="caption-tracks" aria-label={`Captions of ${title}`}>
          {tracks.map((track) => (
            <CaptionRow
              key={track.language}
              track={track}
              busy={captions.busy}
              onReplace={(file) => void captions.replace(track, file)}
              onRemove={() => captions.askRemove(track)}
            />
          ))}
        </ul>
      )}
      <FormError message={captions.actionError} testId="caption-error" />
      {tracks && tracks.length >= LIMITS.captionTracks && (
        <p className="muted small" data-testid="captions-full">
          An item has at most {LIMITS.captionTracks} caption tracks: replace or remove one to add another language.
        </p>
      )}
      {tracks && tracks.length < LIMITS.captionTracks && (
        <AddCaption itemId={itemId} title={title} tracks={tracks} onSaved={captions.saved} />
      )}
      {pendingRemove && (
        <ConfirmDialog
          title="Remove these captions?"
          confirmLabel="Remove"
          destructive
          busy={captions.busy}
          onConfirm={() => void captions.remove()}
          onCancel={() => captions.askRemove(null)}
        >
          <p>
            Viewers will no longer see “{pendingRemove.label}” ({languageText(pendingRemove)}) on “{title}”.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}

interface CaptionTracks {
  /** The item's tracks; null while they load or after a failure to load them. */
  tracks: CaptionTrack[] | null;
  loading: boolean;
  error: unknown;
  reload: () => void;
  /** A track is being replaced or removed. */
  busy: boolean;
  /** Why the last replace or remove failed; kept until a change succeeds. */
  actionError: string | null;
  /** The last change that went through ("Replaced “English”."), focused when its row went. */
  notice: Notice | null;
  /** A change went through: the item's tracks are now `next` (`gone`: its row with them). */
  saved: (next: CaptionTrack[], message: string, gone?: boolean) => void;
  replace: (track: CaptionTrack, file: File) => Promise<void>;
  /** The track whose removal waits for a confirmation, else null. */
  pendingRemove: CaptionTrack | null;
  askRemove: (track: CaptionTrack | null) => void;
  /** Removes the pending track, then closes the question whatever the answer. */
  remove: () => Promise<void>;
}

/** The tracks after a change; for a track stored, whether its cues fit the video. */
type Changed = Pick<CaptionTrackList, "captions"> & Partial<CaptionTrackList>;

/**
 * Said after a track is stored whose cues start after the video's end (never shown): most
 * often the caption file of another cut or episode. Nothing when they all fit.
 */
function cuesAfterEnd({ cues_after_end: late = 0, duration_seconds: length }: Partial<CaptionTrackList>): string {
  if (late === 0) return "";
  const cues = late === 1 ? "1 cue starts" : `${late} cues start`;
  return ` ${cues} after the video ends (${formatDuration(length)}): is this the caption file of another cut?`;
}

/**
 * An item's caption tracks and the changes to them. Hand-written rather than
 * useAction: a failure stays shown while the next change is sent and goes
 * only when one succeeds, where useAction clears it as an action starts.
 */
function useCaptionTracks(itemId: string): CaptionTracks {
  // Lists carry no tracks: the item itself does.
  const fetchTracks = useCallback(
    (signal: AbortSignal) => getItem(itemId, signal).then((item) => item.captions ?? []),
    [itemId],
  );
  const { data: tracks, error, loading, reload, setData } = useAsync(fetchTracks);
  const [pendingRemove, setPendingRemove] = useState<CaptionTrack | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [notice, setNotice] = useState<Notice | null>(null);

  const saved = useCallback(
    (next: CaptionTrack[], message: string, gone = false) => {
      setData(() => next);
      setActionError(null);
      setNotice({ text: message, focus: gone });
    },
    [setData],
  );

  /** Sends one change to `track`; `request` answers the item's tracks after it (and, stored, its cues' fit). */
  async function change(track: CaptionTrack, verb: "replace" | "remove", request: () => Promise<Changed>) {
    setBusy(track.language);
    setNotice(null);
    try {
      const answer = await request();
      const said = `${verb === "replace" ? "Replaced" : "Removed"} “${track.label}”.${cuesAfterEnd(answer)}`;
      saved(answer.captions, said, verb === "remove"); // a removed row's Remove is gone: focus the news
    } catch (err) {
      // The row's Replace has no encoding to choose: the form below has.
      const encodingHint =
        err instanceof ApiError && err.code === "caption_encoding"
          ? ` To say which encoding the file was saved in, add it under “Add captions” in ${track.language}.`
          : "";
      const said = errorMessage(err);
      const ended = encodingHint && !/[.!?]$/.test(said) ? `${said}.` : said;
      setActionError(`Could not ${verb} “${track.label}”: ${ended}${encodingHint}`);
    } finally {
      setBusy(null);
    }
  }

  const replace = (track: CaptionTrack, file: File) =>
    change(track, "replace", () => putCaption(itemId, track.language, file));

  async function remove() {
    const track = pendingRemove;
    if (!track) return;
    await change(track, "remove", async () => {
      await deleteCaption(itemId, track.language);
      return { captions: tracks?.filter((t) => t.language !== track.language) ?? [] };
    });
    setPendingRemove(null);
  }

  const shown = { tracks, loading, error, reload, busy: busy !== null, actionError, notice };
  return { ...shown, saved, replace, pendingRemove, askRemove: setPendingRemove, remove };
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
          {languageText(track)} · {sourceText(track)}
        </span>
      </span>
      <span className="button-row">
        {/* The button opens the picker: a file input cannot carry this label visibly. */}
        <ActionButton label={`Replace ${track.label}`} busy={busy} onClick={() => fileRef.current?.click()}>
          Replace
        </ActionButton>
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
        <ActionButton label={`Remove ${track.label}`} className="button danger" busy={busy} onClick={onRemove}>
          Remove
        </ActionButton>
      </span>
    </li>
  );
}

interface Problems {
  language?: string;
  label?: string;
  file?: string;
  encoding?: string;
}

function check(language: string, label: string, file: File | null, encoding: EncodingChoice): Problems {
  const problems: Problems = {};
  const unreadable = encoding.problem();
  if (file && unreadable) problems.encoding = unreadable;
  if (!LANGUAGE.test(language) || language.length > LANGUAGE_MAX) {
    problems.language = "Use a language tag such as en, fr, pt-BR or zh-Hant.";
  }
  if (label.length > LABEL_MAX) problems.label = `At most ${LABEL_MAX} characters.`;
  if (!file) problems.file = "Choose a WebVTT (.vtt) or SubRip (.srt) file.";
  return problems;
}

interface NewCaption {
  language: string;
  setLanguage: (language: string) => void;
  label: string;
  setLabel: (label: string) => void;
  /** The language's own name, offered as the label when it is left empty. */
  suggested: string | null;
  setFile: (file: File | null) => void;
  /** The encoding of a file that is not UTF-8, and its first lines in it. */
  encoding: EncodingChoice;
  /** Changes after each track added: a fresh, empty file input. */
  fileKey: number;
  /** What is wrong with each field, found here or (the file) by the server. */
  problems: Problems;
  /** The upload; its error is a refusal of the request rather than of a field. */
  action: Action;
  submit: () => Promise<void>;
  /** The track of the same language, which the new one would replace: asked first, else null. */
  replacing: CaptionTrack | null;
  /** Replaces it (the question answered yes), or leaves it (no). */
  confirmReplace: () => Promise<void>;
  cancelReplace: () => void;
}

/**
 * A track being added: checked here first, then uploaded; on success the
 * fields empty for the next one. The server's refusal of the file itself is
 * told at the file field, any other failure under the form. A language the item
 * has a track of already is asked about first: the upload replaces that track, which
 * went with no question and a notice of "Added “English”".
 */
function useNewCaption(
  itemId: string,
  tracks: CaptionTrack[],
  onSaved: (tracks: CaptionTrack[], message: string) => void,
): NewCaption {
  const [replacing, setReplacing] = useState<CaptionTrack | null>(null);
  const [language, setLanguage] = useState("");
  const [label, setLabel] = useState("");
  const [file, setChosenFile] = useState<File | null>(null);
  const [problems, setProblems] = useState<Problems>({});
  const encoding = useEncodingChoice(() => setProblems(({ encoding: _lastChoice, file: _notUtf8, ...rest }) => rest));
  const setFile = (chosen: File | null) => {
    setChosenFile(chosen);
    encoding.read(chosen);
  };
  const [fileKey, setFileKey] = useState(0);
  const action = useAction();
  const tag = normaliseLanguage(language);
  const suggested = languageName(tag);

  function refused(err: unknown): string | null {
    if (!isFileProblem(err)) return errorSentence(err);
    if (err.code === "caption_encoding") encoding.ask(); // the server found it was not UTF-8
    setProblems({ file: err.detail });
    return null;
  }

  async function upload(file: File, replaced: boolean) {
    await action.run("add", refused, async () => {
      const name = label.trim() || suggested || undefined;
      const answer = await putCaption(itemId, tag, file, name, encoding.sent());
      const saved = answer.captions.find((t) => t.language === tag)?.label ?? suggested ?? tag;
      onSaved(answer.captions, `${replaced ? "Replaced" : "Added"} “${saved}”.${cuesAfterEnd(answer)}`);
      setLanguage("");
      setLabel("");
      setFile(null);
      setFileKey((k) => k + 1);
    });
  }

  async function submit() {
    const found = check(tag, label.trim(), file, encoding);
    setProblems(found);
    if (Object.keys(found).length > 0 || !file) {
      action.fail(null);
      return;
    }
    const existing = tracks.find((t) => t.language.toLowerCase() === tag.toLowerCase());
    if (existing) setReplacing(existing);
    else await upload(file, false);
  }

  async function confirmReplace() {
    setReplacing(null);
    if (file) await upload(file, true);
  }

  const fields = { language, setLanguage, label, setLabel, suggested, setFile, encoding, fileKey, problems };
  return { ...fields, action, submit, replacing, confirmReplace, cancelReplace: () => setReplacing(null) };
}

/** Language, label and file; the same language again replaces that track, asked first. */
function AddCaption({
  itemId,
  title,
  tracks,
  onSaved,
}: {
  itemId: string;
  /** The item's title, which the question names. */
  title: string;
  tracks: CaptionTrack[];
  onSaved: (tracks: CaptionTrack[], message: string) => void;
}) {
  const caption = useNewCaption(itemId, tracks, onSaved);
  const { problems } = caption;
  const busy = caption.action.running !== null;
  const form = useFocusOnProblems(problems);

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    void caption.submit();
  }

  return (
    <form ref={form} className="form compact add-caption" aria-label="Add captions" noValidate onSubmit={onSubmit}>
      <div className="add-caption-fields">
        <InputField
          label="Language"
          hint="A tag such as en, fr or pt-BR"
          error={problems.language}
          type="text"
          required
          autoComplete="off"
          spellCheck={false}
          maxLength={LANGUAGE_MAX}
          value={caption.language}
          onChange={caption.setLanguage}
        />
        <InputField
          label="Label"
          hint="Shown in the player's menu"
          error={problems.label}
          type="text"
          maxLength={LABEL_MAX}
          placeholder={caption.suggested ?? "English"}
          value={caption.label}
          onChange={caption.setLabel}
        />
      </div>
      <CaptionFileField fileKey={caption.fileKey} error={problems.file} onFile={caption.setFile} />
      <CaptionEncodingField choice={caption.encoding} error={problems.encoding} />
      <FormError message={caption.action.error} />
      <div className="button-row">
        <SubmitButton className="button primary" busy={busy}>
          {busy ? "Uploading…" : "Add captions"}
        </SubmitButton>
      </div>
      <ReplaceCaptionDialog title={title} caption={caption} />
    </form>
  );
}

/** Asks before a new track replaces the item's track of the same language, if one would. */
function ReplaceCaptionDialog({ title, caption }: { title: string; caption: NewCaption }) {
  const track = caption.replacing;
  if (!track) return null;
  return (
    <ConfirmDialog
      title="Replace these captions?"
      confirmLabel="Replace"
      destructive
      onConfirm={() => void caption.confirmReplace()}
      onCancel={caption.cancelReplace}
    >
      <p>
        “{title}” has captions in this language already: “{track.label}” ({languageText(track)}) is replaced by this
        file.
      </p>
    </ConfirmDialog>
  );
}

/**
 * The form's ref, whose first invalid field takes the focus whenever problems are found (here,
 * or the server's with the file): each is described at its field, but with the focus left on
 * Add captions nothing was said. A layout effect, as for a refused password (AccountFields).
 */
function useFocusOnProblems(problems: Problems) {
  const form = useRef<HTMLFormElement>(null);
  useLayoutEffect(() => {
    form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [problems]);
  return form;
}

/** The caption file to upload; a new `fileKey` gives a fresh, empty input for the next track. */
function CaptionFileField({
  fileKey,
  error,
  onFile,
}: {
  fileKey: number;
  error: string | undefined;
  onFile: (file: File | null) => void;
}) {
  return (
    <Field label="Caption file" hint="WebVTT (.vtt) or SubRip (.srt)" error={error}>
      {(control) => (
        <input
          {...control}
          key={fileKey}
          type="file"
          accept={ACCEPT}
          required
          onChange={(e) => onFile(e.target.files?.[0] ?? null)}
        />
      )}
    </Field>
  );
}
