import { useCallback, useState } from "react";
import { errorMessage } from "../api/errors";

/**
 * How a failed action is told: the start of a sentence ("Could not revoke the
 * session"), or a wording of the error; null from the wording when the page
 * tells that failure elsewhere (a countdown, a field's own error).
 */
export type Failure = string | ((err: unknown) => string | null);

export interface Action {
  /** The key of the action running now (a row's id, say); null when none is. */
  running: string | null;
  /** Why the last action failed, in words; null once another starts. */
  error: string | null;
  /** Shows a failure found before anything ran (a form's own check); null takes the last one away. */
  fail: (message: string | null) => void;
  /**
   * Runs `action` under `key` and tells its failure; resolves to whether it succeeded. (A
   * change refused because the session ended is said after sign-in: `requestChange`.)
   */
  run: (key: string, failure: Failure, action: () => Promise<void>) => Promise<boolean>;
}

/**
 * What the pages' buttons need around a request they start (create, revoke,
 * delete, register): which one is running, to disable it, and why the last
 * one failed, for a FormError. The latest action started is the one shown.
 */
export function useAction(): Action {
  const [running, setRunning] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const run = useCallback(
    async (key: string, failure: Failure, action: () => Promise<void>) => {
      setRunning(key);
      setError(null);
      try {
        await action();
        return true;
      } catch (err) {
        setError(typeof failure === "string" ? `${failure}: ${errorMessage(err)}` : failure(err));
        return false;
      } finally {
        setRunning(null);
      }
    },
    [],
  );
  return { running, error, fail: setError, run };
}
