import { useCallback, useEffect, useState } from "react";

interface Settled<T> {
  fn: unknown;
  nonce: number;
  data: T | null;
  error: unknown;
}

export interface AsyncResult<T> {
  /** Result of the current request; null while loading or after an error. */
  data: T | null;
  /**
   * What a list shows: the current result or, while the next one loads (another page, filter
   * or search, or the same read again), the last one, so its rows stay in place (dimmed, see
   * KeptRows) rather than the page emptying and jumping; null after an error.
   */
  shown: T | null;
  error: unknown;
  loading: boolean;
  reload: () => void;
  /** Replace the current data locally (after an edit). */
  setData: (update: (current: T) => T) => void;
}

/**
 * Runs `fn` whenever its identity changes (wrap it in useCallback with the
 * request's inputs as dependencies) and aborts the stale request.
 */
export function useAsync<T>(fn: (signal: AbortSignal) => Promise<T>): AsyncResult<T> {
  const [nonce, setNonce] = useState(0);
  const [settled, setSettled] = useState<Settled<T>>({ fn: null, nonce: -1, data: null, error: null });

  useEffect(() => {
    const controller = new AbortController();
    fn(controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) setSettled({ fn, nonce, data, error: null });
      },
      (error: unknown) => {
        if (!controller.signal.aborted) setSettled({ fn, nonce, data: null, error });
      },
    );
    return () => controller.abort();
  }, [fn, nonce]);

  const current = settled.fn === fn && settled.nonce === nonce;
  const reload = useCallback(() => setNonce((n) => n + 1), []);
  const setData = useCallback((update: (current: T) => T) => {
    setSettled((s) => (s.data === null ? s : { ...s, data: update(s.data) }));
  }, []);

  return {
    data: current ? settled.data : null,
    // A failed read settles with no data: its error shows alone, as before.
    shown: settled.data,
    error: current ? settled.error : null,
    loading: !current,
    reload,
    setData,
  };
}
