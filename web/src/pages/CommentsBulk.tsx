import { useState } from "react";
import { ApiError } from "../api/errors";
import { deleteCommentsBy, dismissReports, MODERATION_REFUSALS, type CommentAuthor, type ModeratedComment } from "../api/moderation";
import { ActionButton } from "../components/ActionButton";
import { BulkFailureList, BulkProgressLine, SelectPageBox } from "../components/BulkSelection";
import { commenterName, deleteGone } from "../components/CommentEntry";
import { ConfirmDialog, type ConfirmAnswers } from "../components/ConfirmDialog";
import { FormError } from "../components/ErrorMessage";
import { DoneNotice } from "../components/FocusedMessage";
import { inTurn } from "../lib/inTurn";
import { useAction } from "../lib/useAction";
import { useLeaveWarning } from "../lib/useLeaveWarning";
import { commentTitle } from "./ModeratedCommentsTable";

/** What an admin can do to the selected comments at once. */
type CommentVerb = "delete" | "dismiss";

const WORDS: Record<CommentVerb, { button: string; doing: string; couldNot: string; consequence: string }> = {
  delete: {
    button: "Delete",
    doing: "Deleting",
    couldNot: "delete",
    consequence: "These comments will be removed for everyone; replies others wrote to them stay. This cannot be undone.",
  },
  dismiss: {
    button: "Dismiss reports",
    doing: "Dismissing the reports on",
    couldNot: "dismiss the reports on",
    consequence: "Their reports are cleared; the comments stay.",
  },
};

function comments(count: number): string {
  return count === 1 ? "1 comment" : `${count} comments`;
}

/** The selected comments a verb acts on: dismissing takes those with reports alone. */
function actedOn(verb: CommentVerb, selected: ModeratedComment[]): ModeratedComment[] {
  return verb === "dismiss" ? selected.filter((c) => c.reports > 0) : selected;
}

/** Which of the shown comments are ticked; a change of filter (`filterKey`) lets them all go. */
export function useCommentSelection(shown: ModeratedComment[], filterKey: string) {
  const [state, setState] = useState({ filterKey, ids: new Set<string>() });
  if (state.filterKey !== filterKey) setState({ filterKey, ids: new Set() }); // set while rendering: React renders again at once
  const selected = shown.filter((c) => state.ids.has(c.id));
  const choose = (ids: Iterable<string>) => setState({ filterKey, ids: new Set(ids) });
  return {
    selected,
    isSelected: (id: string) => state.ids.has(id),
    toggle: (id: string, on: boolean) => choose(on ? [...state.ids, id] : [...state.ids].filter((it) => it !== id)),
    togglePage: (on: boolean) => choose(on ? shown.map((c) => c.id) : []),
    choose,
  };
}

export type CommentSelection = ReturnType<typeof useCommentSelection>;

/** How the page's list follows what a bulk action did to a comment. */
export interface ListChanges {
  /** The comment (and its replies) is gone. */
  without: (id: string) => void;
  /** Its reports are gone, the comment kept. */
  cleared: (id: string) => void;
}

interface Outcome {
  verb: CommentVerb;
  notice: string | null;
  failures: string[];
}

/** Clears a comment's reports; false when the comment is gone (deleted in another tab). */
export async function dismissFound(id: string): Promise<boolean> {
  try {
    await dismissReports(id);
    return true;
  } catch (err) {
    if (err instanceof ApiError && err.code === MODERATION_REFUSALS.notFound) return false;
    throw err;
  }
}

/**
 * Runs a verb over comments in turn (see inTurn), telling how far it is, then how many it did
 * and which failed and why; the list follows each one done. While it runs, closing the tab asks first.
 */
function useCommentBulk(list: ListChanges) {
  const [progress, setProgress] = useState<{ verb: CommentVerb; done: number; total: number } | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  useLeaveWarning(progress !== null);

  async function act(verb: CommentVerb, comment: ModeratedComment) {
    if (verb === "delete") {
      await deleteGone(comment.id);
      return list.without(comment.id);
    }
    // One deleted meanwhile has no reports left either: its row goes.
    if (await dismissFound(comment.id)) list.cleared(comment.id);
    else list.without(comment.id);
  }

  async function run(verb: CommentVerb, chosen: ModeratedComment[]): Promise<string[]> {
    setOutcome(null);
    const titled = chosen.map((comment) => ({ comment, title: commentTitle(comment) }));
    const { failed, reasons } = await inTurn(
      titled,
      ({ comment }) => act(verb, comment),
      (done, total) => setProgress({ verb, done, total }),
    );
    setProgress(null);
    const done = chosen.length - failed.length;
    const notice = done === 0 ? null : verb === "delete" ? `Deleted ${comments(done)}.` : `Dismissed the reports on ${comments(done)}; the comments stay.`;
    setOutcome({ verb, notice, failures: reasons });
    return failed.map(({ comment }) => comment.id);
  }

  return { progress, outcome, run };
}

/**
 * The selection's controls above the comments: select all on the page, then Delete (N) or
 * Dismiss reports (N) of those with reports, each asked first naming every comment; what
 * fails stays selected, to try again.
 */
export function CommentsBulkBar({ shown, selection, list }: { shown: ModeratedComment[]; selection: CommentSelection; list: ListChanges }) {
  const bulk = useCommentBulk(list);
  const [asking, setAsking] = useState<CommentVerb | null>(null);
  const busy = bulk.progress !== null;
  const { selected } = selection;

  async function start(verb: CommentVerb) {
    const failed = await bulk.run(verb, actedOn(verb, selected));
    selection.choose(failed);
    setAsking(null);
  }

  return (
    <div className="bulk-bar">
      <div className="toolbar" role="group" aria-label="Selected comments">
        <SelectPageBox shown={shown.length} selectedHere={selected.length} disabled={busy} onToggle={selection.togglePage} />
        {(["delete", "dismiss"] as const).map((verb) => {
          const count = actedOn(verb, selected).length;
          if (count === 0) return null;
          return (
            <ActionButton key={verb} className={verb === "delete" ? "button danger" : "button"} busy={busy} onClick={() => setAsking(verb)}>
              {WORDS[verb].button} ({count})…
            </ActionButton>
          );
        })}
      </div>
      <div aria-live="polite" className="status-line">
        {bulk.progress ? <BulkProgressLine doing={WORDS[bulk.progress.verb].doing} done={bulk.progress.done} total={bulk.progress.total} /> : <DoneNotice message={bulk.outcome?.notice ?? null} />}
      </div>
      {bulk.outcome && (
        <BulkFailureList heading={`Could not ${WORDS[bulk.outcome.verb].couldNot} ${comments(bulk.outcome.failures.length)} (still selected):`} failures={bulk.outcome.failures} />
      )}
      {asking && <AskSelectedDialog verb={asking} chosen={actedOn(asking, selected)} busy={busy} onConfirm={() => void start(asking)} onCancel={() => setAsking(null)} />}
    </div>
  );
}

/** Asks before a bulk action, naming every comment it acts on (in a box that scrolls) and what it does to them. */
function AskSelectedDialog({ verb, chosen, ...answers }: ConfirmAnswers & { verb: CommentVerb; chosen: ModeratedComment[] }) {
  const label = `${WORDS[verb].button} (${chosen.length})`;
  return (
    <ConfirmDialog title={`${WORDS[verb].button}: ${comments(chosen.length)}?`} confirmLabel={label} destructive={verb === "delete"} {...answers}>
      <p>{WORDS[verb].consequence}</p>
      <ul className="modal-titles modal-titles-all" aria-label="Selected comments" tabIndex={0}>
        {chosen.map((c) => (
          <li key={c.id}>
            {commentTitle(c)}: “{c.body}”
          </li>
        ))}
      </ul>
    </ConfirmDialog>
  );
}

/**
 * "Delete all N comments by <name>…" while the list shows one member's: every one of them, on
 * every page, goes in one request (the server's, one transaction), asked first; then the page
 * reads the list again and says how many went (`onDeleted`, told it in words).
 */
export function DeleteAllByAuthor({ author, onDeleted }: { author: CommentAuthor; onDeleted: (notice: string) => void }) {
  const [asking, setAsking] = useState(false);
  const action = useAction();
  const name = commenterName(author.name);

  const removeAll = async () => {
    await action.run("all", `Could not delete ${name}’s comments`, async () => {
      const deleted = await deleteCommentsBy(author.id);
      onDeleted(`Deleted ${comments(deleted)} by ${name}; others’ replies to them stay.`);
    });
    setAsking(false);
  };

  return (
    <>
      {author.comments > 0 && (
        <ActionButton className="button danger" busy={action.running !== null} onClick={() => setAsking(true)}>
          Delete all {comments(author.comments)} by {name}…
        </ActionButton>
      )}
      <FormError message={action.error} />
      {asking && (
        <ConfirmDialog
          title={`Delete all ${comments(author.comments)} by ${name}?`}
          confirmLabel={`Delete all ${comments(author.comments)}`}
          destructive
          busy={action.running !== null}
          onConfirm={() => void removeAll()}
          onCancel={() => setAsking(false)}
        >
          <p>Every comment {name} wrote, on every video, will be removed for everyone; replies others wrote to them stay. This cannot be undone.</p>
        </ConfirmDialog>
      )}
    </>
  );
}
