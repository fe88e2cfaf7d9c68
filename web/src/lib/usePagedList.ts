import { useCallback, useState } from "react";
import { useSearchParams } from "react-router";
import { useAction, type Failure } from "./useAction";
import { useAsync } from "./useAsync";
import { useRestoredScroll } from "./scrollMemory";
import { pageParam } from "./urlQuery";

/** How a paged list is asked for: which page, and how many a page holds. */
export interface PageQuery {
  page: number;
  page_size: number;
}

/**
 * One of the viewer's lists read a page at a time (history, liked videos, playlists), its page
 * in the address (`?page=`, none for the first): the page's answer as `useAsync` gives it, the
 * page shown and the way to turn it; the scroll comes back once the page is in.
 */
export function usePagedList<T>(read: (query: PageQuery, signal: AbortSignal) => Promise<T>, pageSize: number) {
  const [params, setParams] = useSearchParams();
  const page = pageParam(params);
  const turnPage = (p: number) => setParams(p > 1 ? { page: String(p) } : {});
  const fetchPage = useCallback((signal: AbortSignal) => read({ page, page_size: pageSize }, signal), [read, page, pageSize]);
  const list = useAsync(fetchPage);
  useRestoredScroll(list.data !== null);
  return { ...list, page, turnPage };
}

/**
 * A change to such a list (a row removed, the list cleared), followed by the list as the server
 * has it now (`reload`); `done` tells what it did, since its button may have gone with its row.
 */
export function useListChange(reload: () => void) {
  const { running, error: problem, run } = useAction();
  const [done, setDone] = useState<string | null>(null);
  const change = (key: string, failure: Failure, request: () => Promise<unknown>, doneText: string) =>
    run(key, failure, async () => {
      setDone(null);
      await request();
      reload();
      setDone(doneText);
    });
  return { busy: running !== null, problem, done, change };
}
