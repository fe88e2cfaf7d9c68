import { useCallback, useLayoutEffect, useRef, useState, type ClipboardEvent } from "react";
import { describedChapters } from "../api/catalogue";
import { LIMITS } from "../api/limits";
import { sleep } from "../lib/sleep";
import { useAsync } from "../lib/useAsync";
import { Field, InputField } from "./Field";

/** From how full (a share of its limit) a field shows how many characters it holds. */
const NEAR_LIMIT = 0.8;

const count = (n: number) => n.toLocaleString("en-US");

/** Under the description: what the server makes of a timestamp list in it (catalogue's `chapters.py`, YouTube's rule). */
export const CHAPTERS_HINT =
  "Lines like “0:00 Intro”, “1:23 The chorus” (from 0:00, at least three, each 10 s or longer) become its chapters, over the file’s.";

/**
 * A field of at most `max` characters: near the limit, how many it holds (its hint); and when a
 * paste was cut to fit, saying so. The browser's `maxLength` cut 8000 pasted characters to 5000
 * without a word.
 */
export function useLengthLimit(value: string, max: number) {
  const [cut, setCut] = useState<string | null>(null);
  const onPaste = (event: ClipboardEvent<HTMLInputElement | HTMLTextAreaElement>) => {
    const field = event.currentTarget;
    const replaced = (field.selectionEnd ?? 0) - (field.selectionStart ?? 0);
    const pasted = event.clipboardData.getData("text").length;
    const over = field.value.length - replaced + pasted - max;
    setCut(over > 0 ? `The pasted text was cut at ${count(max)} characters: its last ${count(over)} are left out.` : null);
  };
  const hint = value.length >= max * NEAR_LIMIT ? `${count(value.length)} of ${count(max)} characters` : undefined;
  // Once the text is shortened, what was cut is old news.
  return { onPaste, hint, cut: value.length >= max ? cut : null };
}

/** Where a cut paste is told, politely: a live region there from the start, so it is announced. */
export function CutNotice({ message }: { message: string | null }) {
  return (
    <p className="hint" role="status" data-testid="paste-cut">
      {message}
    </p>
  );
}

/** A video's title, as the upload form and the library's edit form ask for it. */
export function TitleField({
  value,
  onChange,
  disabled = false,
  autoFocus = false,
  error = null,
}: {
  value: string;
  onChange: (title: string) => void;
  disabled?: boolean;
  /** Focused as it appears (a form opened in place of the button that opened it). */
  autoFocus?: boolean;
  /** What is wrong with the title, told on the field, which takes the focus to fix it there. */
  error?: string | null;
}) {
  const field = useFocusOnError(error);
  const limit = useLengthLimit(value, LIMITS.title);
  return (
    <Field label="Title" hint={limit.hint} error={error}>
      {(control) => (
        <>
          <input
            {...control}
            ref={field}
            type="text"
            autoFocus={autoFocus}
            required
            maxLength={LIMITS.title}
            disabled={disabled}
            value={value}
            onPaste={limit.onPaste}
            onChange={(e) => onChange(e.target.value)}
          />
          <CutNotice message={limit.cut} />
        </>
      )}
    </Field>
  );
}

/** How long typing stops (ms) before the description is read for chapters: not a request a key. */
export const READ_CHAPTERS_AFTER_MS = 500;

/**
 * Why the timestamped lines of `description` make no chapters for a video of `durationSeconds`
 * (null: not known yet, any length), as the server reads them (its rule, YouTube's: the one
 * copy), once typing stops; null when they do, when there are none, or when it cannot be asked.
 */
function useUnusedChapters(description: string, durationSeconds: number | null): string | null {
  const read = useCallback(
    async (signal: AbortSignal) => {
      // No "m:ss" anywhere: no timestamp to explain, nothing to ask.
      if (!/\d:\d\d/.test(description)) return null;
      await sleep(READ_CHAPTERS_AFTER_MS, signal);
      if (signal.aborted) return null;
      const answer = await describedChapters({ description, duration_seconds: durationSeconds }, signal);
      return answer.unused_because;
    },
    [description, durationSeconds],
  );
  // While the next reading waits, the last one stays: no flicker a key.
  return useAsync(read).shown;
}

/**
 * Under the description, politely (a live region there from the start, so it is announced):
 * that its times are not shown as chapters and why. A hint, not an error: it saves as it is.
 */
function UnusedChaptersNotice({ because }: { because: string | null }) {
  return (
    <p className="hint" role="status" data-testid="chapters-unused">
      {because && `These times are not shown as chapters: ${because}.`}
    </p>
  );
}

/**
 * A video's description and comma-separated tags, as the upload form and
 * the library's edit form ask for them (checked with `tagsProblem`). `tagsError`, what is
 * wrong with the tags, is told on their field, which takes the focus to fix them there.
 * Timestamped lines that make no chapters for a video of `durationSeconds` (unknown before
 * its file is read) are said to under the description.
 */
export function DescriptionAndTagsFields({
  description,
  onDescription,
  tags,
  onTags,
  tagsPlaceholder,
  tagsError = null,
  disabled = false,
  durationSeconds = null,
}: {
  description: string;
  onDescription: (text: string) => void;
  tags: string;
  onTags: (text: string) => void;
  tagsPlaceholder: string;
  tagsError?: string | null;
  disabled?: boolean;
  durationSeconds?: number | null;
}) {
  const tagsField = useFocusOnError(tagsError);
  const limit = useLengthLimit(description, LIMITS.description);
  const unusedChapters = useUnusedChapters(description, durationSeconds);
  return (
    <>
      <Field label="Description" hint={limit.hint ? `${CHAPTERS_HINT} ${limit.hint}` : CHAPTERS_HINT}>
        {(control) => (
          <>
            <textarea
              {...control}
              maxLength={LIMITS.description}
              rows={3}
              disabled={disabled}
              value={description}
              onPaste={limit.onPaste}
              onChange={(e) => onDescription(e.target.value)}
            />
            <CutNotice message={limit.cut} />
            <UnusedChaptersNotice because={unusedChapters} />
          </>
        )}
      </Field>
      <InputField
        label="Tags"
        hint="Separate tags with commas."
        type="text"
        placeholder={tagsPlaceholder}
        error={tagsError}
        ref={tagsField}
        disabled={disabled}
        value={tags}
        onChange={onTags}
      />
    </>
  );
}

/** A field's ref, focused in the commit its `error` shows in: the field is announced with it, described by it. */
function useFocusOnError(error: string | null) {
  const field = useRef<HTMLInputElement>(null);
  useLayoutEffect(() => {
    if (error) field.current?.focus();
  }, [error]);
  return field;
}
