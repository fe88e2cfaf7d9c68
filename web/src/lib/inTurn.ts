import { errorMessage } from "../api/errors";

/** What a run over several videos did: those it failed on, and why, one line each. */
export interface InTurnOutcome<T> {
  failed: T[];
  /** “Title”: the server's reason, per failed video, in order. */
  reasons: string[];
}

/**
 * Does `act` to each of `items` in turn (one at a time: each answer is shown as it comes,
 * and the server is never flooded), calling `progress(index, total)` before each. A failure
 * does not stop the run; it is told in the outcome.
 */
export async function inTurn<T extends { title: string }>(
  items: T[],
  act: (item: T) => Promise<unknown>,
  progress: (index: number, total: number) => void,
): Promise<InTurnOutcome<T>> {
  const outcome: InTurnOutcome<T> = { failed: [], reasons: [] };
  for (const [index, item] of items.entries()) {
    progress(index, items.length);
    try {
      await act(item);
    } catch (err) {
      outcome.failed.push(item);
      outcome.reasons.push(`“${item.title}”: ${errorMessage(err)}`);
    }
  }
  return outcome;
}
