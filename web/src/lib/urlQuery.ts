import { useCallback, useLayoutEffect, useRef, useState } from "react";
import { useSearchParams } from "react-router";
import { LIMITS } from "../api/limits";

/** Query changes: a value sets its key, null or "" removes it. */
export type QueryChanges = Record<string, string | null>;

/**
 * The page's URL query (filters, search, page number live there, so back,
 * reload and shared links keep them) and an update that merges `changes`
 * into it: in place by default, as a new history entry with `push`.
 *
 * The update merges into the query as it is when it runs, not as it was when the update was
 * made: react-router's own functional update hands the query of the render that made it, so a
 * debounced search firing after a sort or a tag was changed put back the query from before
 * them (`?q=episode` without the new sort; a tag typed meanwhile wiped).
 */
export function useUrlQuery(): [URLSearchParams, (changes: QueryChanges, options?: { push?: boolean }) => void] {
  const [params, setParams] = useSearchParams();
  const current = useRef(params);
  // After each render: the URL changed from outside (Back, a link) is the one merged into.
  useLayoutEffect(() => {
    current.current = params;
  }, [params]);
  const update = useCallback(
    (changes: QueryChanges, { push = false } = {}) => {
      const next = new URLSearchParams(current.current);
      for (const [key, value] of Object.entries(changes)) {
        if (value === null || value === "") next.delete(key);
        else next.set(key, value);
      }
      // Two updates before the next render (a blur, then a submit) build on each other.
      current.current = next;
      setParams(next, { replace: !push });
    },
    [setParams],
  );
  return [params, update];
}

/** The value among `choices` that a query value names; undefined for any other (or none). */
export function chosen<T extends string>(choices: readonly { value: T }[], value: string | null): T | undefined {
  return choices.find((choice) => choice.value === value)?.value;
}

/**
 * The `page` parameter: a positive whole number, 1 when absent or anything else, and at most
 * the API's last page number (a larger one is refused with a 400 the page would show as is;
 * the last page number shows where the entries are instead).
 */
export function pageParam(params: URLSearchParams): number {
  const n = Number.parseInt(params.get("page") ?? "", 10);
  return Number.isFinite(n) && n > 0 ? Math.min(n, LIMITS.page) : 1;
}

/**
 * The text of a field that edits a URL value: typing changes only the text;
 * when the URL value changes from outside (back button, a tag link), the
 * text follows it.
 */
export function useDraft(value: string): [string, (text: string) => void] {
  const [draft, setDraft] = useState(value);
  const [synced, setSynced] = useState(value);
  if (value !== synced) {
    setSynced(value);
    setDraft(value);
  }
  return [draft, setDraft];
}
