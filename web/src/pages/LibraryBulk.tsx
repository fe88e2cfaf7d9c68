import { useEffect, useRef, useState } from "react";
import { ActionButton } from "../components/ActionButton";
import { deleteItem, updateItem } from "../api/catalogue";
import { retryTranscode } from "../api/ingest";
import type { CatalogueItem } from "../api/schema";
import { ConfirmDialog, type ConfirmAnswers } from "../components/ConfirmDialog";
import { FormError } from "../components/ErrorMessage";
import { DoneNotice } from "../components/FocusedMessage";
import { canTranscodeAgain } from "../components/ProcessingStatus";
import { inTurn } from "../lib/inTurn";
import { useAction } from "../lib/useAction";
import { useLeaveWarning } from "../lib/useLeaveWarning";

/** What an admin can do to the selected videos of a library page at once. */
export type BulkVerb = "publish" | "unpublish" | "transcode" | "delete";

/**
 * Each verb's words, and whether it always asks first (a transcode costs a whole job; a
 * deletion is for good). Publishing and unpublishing ask when they reach past the page: see asksFirst.
 */
const WORDS: Record<BulkVerb, { button: string; doing: string; done: string; asks: boolean }> = {
  publish: { button: "Publish", doing: "Publishing", done: "Published", asks: false },
  unpublish: { button: "Unpublish", doing: "Unpublishing", done: "Unpublished", asks: false },
  transcode: { button: "Transcode again", doing: "Queueing", done: "Queued", asks: true },
  delete: { button: "Delete", doing: "Deleting", done: "Deleted", asks: true },
};
const VERBS = Object.keys(WORDS) as BulkVerb[];

/** The verbs that change a video's status, which an Undo puts back. */
type StatusVerb = "publish" | "unpublish";

function isStatusVerb(verb: BulkVerb): verb is StatusVerb {
  return verb === "publish" || verb === "unpublish";
}

/** What puts back what a status verb did: each video it changed had the other status. */
const OPPOSITE: Record<StatusVerb, StatusVerb> = { publish: "unpublish", unpublish: "publish" };

/**
 * Whether `verb` asks before it runs: always for a transcode or a deletion; for publishing or
 * unpublishing, when every matching video is selected, most of them on pages not shown
 * (publishing all 26 drafts of a search published ones that were drafts on purpose).
 */
function asksFirst(verb: BulkVerb, everything: boolean): boolean {
  return WORDS[verb].asks || everything;
}

const NOTHING: ReadonlySet<string> = new Set();
/** How many videos a question names; the rest are counted. */
const NAMED_AT_MOST = 10;

export interface LibrarySelection {
  /** The selected videos of the page, in its order. */
  selected: CatalogueItem[];
  /** Every video the page's query matches is selected, on this page and the others. */
  everything: boolean;
  isSelected: (id: string) => boolean;
  toggle: (id: string, on: boolean) => void;
  /** Selects exactly these videos (none: clears the selection). */
  choose: (items: CatalogueItem[]) => void;
  chooseEverything: () => void;
}

/**
 * Which videos of the shown page are selected, or whether every one the query matches is.
 * Videos ticked belong to one page of one query (`pageKey`): another filter, search or page
 * starts with none selected. "Every one matching" belongs to the query (`queryKey`, the
 * filters and search without the page): it stays on every page of it.
 */
export function useLibrarySelection(items: CatalogueItem[], pageKey: string, queryKey: string): LibrarySelection {
  const [state, setState] = useState({ pageKey, queryKey, ids: NOTHING, everything: false });
  const everything = state.everything && state.queryKey === queryKey;
  const ids = everything ? new Set(items.map((it) => it.id)) : state.pageKey === pageKey ? state.ids : NOTHING;
  const select = (chosen: Iterable<string>, all = false) =>
    setState({ pageKey, queryKey, ids: new Set(chosen), everything: all });
  return {
    selected: items.filter((it) => ids.has(it.id)),
    everything,
    isSelected: (id) => ids.has(id),
    toggle: (id, on) => select(on ? [...ids, id] : [...ids].filter((other) => other !== id)),
    choose: (chosen) => select(chosen.map((it) => it.id)),
    chooseEverything: () => select(items.map((it) => it.id), true),
  };
}

/**
 * The selected videos a verb changes: publishing skips those already published, transcoding
 * those whose job is on its way (or sounds), and so on.
 */
export function changedBy(verb: BulkVerb, items: CatalogueItem[]): CatalogueItem[] {
  if (verb === "delete") return items;
  if (verb === "transcode") return items.filter(canTranscodeAgain);
  return items.filter((it) => (it.status === "published") === (verb === "unpublish"));
}

interface BulkProgress {
  verb: BulkVerb;
  done: number;
  total: number;
  /** The run puts back what the last one did (Undo). */
  undoing: boolean;
}

/** A bulk action's state, kept by the page: its outcome outlives a list the action emptied. */
export interface BulkRun {
  progress: BulkProgress | null;
  outcome: BulkOutcome | null;
  run: (verb: BulkVerb, items: CatalogueItem[]) => Promise<CatalogueItem[]>;
  /** Puts each video the last publish or unpublish changed back to the status it had. */
  undo: () => Promise<void>;
}

interface BulkOutcome {
  notice: string | null;
  /** One line per video the verb failed on: its title and the server's reason. */
  failures: string[];
  verb: BulkVerb;
  /** The videos a publish or unpublish changed, as they were before it: what Undo puts back. */
  undoable: CatalogueItem[] | null;
  /** This was an Undo: what it failed on is not kept selected. */
  undone: boolean;
}

/** Does `verb` to one video; but a deletion, each hands the video's new state on. */
async function applyTo(verb: BulkVerb, item: CatalogueItem, onChanged: (item: CatalogueItem) => void) {
  if (verb === "delete") {
    await deleteItem(item.id);
    return;
  }
  if (verb === "transcode") {
    onChanged(await retryTranscode(item.id)); // queued: its row follows it
    return;
  }
  onChanged(await updateItem(item.id, { status: verb === "publish" ? "published" : "draft" }));
}

function videos(count: number): string {
  return count === 1 ? "1 video" : `${count} videos`;
}

/** "Published 3 videos.", or after an Undo "Undone: 3 videos are drafts again." */
function doneNotice(verb: BulkVerb, count: number, undoing: boolean): string {
  if (!undoing) return `${WORDS[verb].done} ${videos(count)}.`;
  const are = count === 1 ? "is" : "are";
  return `Undone: ${videos(count)} ${are} ${verb === "unpublish" ? `draft${count === 1 ? "" : "s"}` : "published"} again.`;
}

/**
 * Runs a verb over videos in turn, telling how far it is, then what it did and why each
 * failure failed. Resolves to the videos it failed on. Once any succeeded, `onSettled`
 * hears the verb: the list may need reading again (deleted videos, or ones that left the
 * filter, and the count of matches and pages with them). What a publish or unpublish
 * changed can be undone (kept until the next run or the page is left). While a run goes on,
 * closing or reloading the tab asks first: it left the run half done.
 */
export function useBulkRun(onChanged: (item: CatalogueItem) => void, onSettled: (verb: BulkVerb) => void): BulkRun {
  const [progress, setProgress] = useState<BulkProgress | null>(null);
  const [outcome, setOutcome] = useState<BulkOutcome | null>(null);
  useLeaveWarning(progress !== null);

  async function runOver(verb: BulkVerb, items: CatalogueItem[], undoing: boolean): Promise<CatalogueItem[]> {
    setOutcome(null);
    const { failed, reasons } = await inTurn(
      items,
      (item) => applyTo(verb, item, onChanged),
      (done, total) => setProgress({ verb, done, total, undoing }),
    );
    setProgress(null);
    const changed = items.filter((it) => !failed.includes(it));
    const notice = changed.length > 0 ? doneNotice(verb, changed.length, undoing) : null;
    const undoable = !undoing && isStatusVerb(verb) && changed.length > 0 ? changed : null;
    setOutcome({ verb, failures: reasons, notice, undoable, undone: undoing });
    if (changed.length > 0) onSettled(verb);
    return failed;
  }

  async function undo() {
    if (!outcome?.undoable || !isStatusVerb(outcome.verb)) return;
    await runOver(OPPOSITE[outcome.verb], outcome.undoable, true);
  }

  return { progress, outcome, run: (verb, items) => runOver(verb, items, false), undo };
}

/**
 * The selection's controls above the list: select the whole page, or every video the query
 * matches, and publish, unpublish, transcode again or delete (these two asked first) what is
 * selected. What fails stays selected, to try again.
 */
export function LibraryBulkBar({ items, total, everyMatching, selection, bulk }: BulkBarProps) {
  const [asking, setAsking] = useState<{ verb: BulkVerb; items: CatalogueItem[] } | null>(null);
  const reading = useAction();
  const { selected, everything, choose } = selection;
  const busy = bulk.progress !== null || reading.running !== null;

  async function start(verb: BulkVerb, chosen: CatalogueItem[]) {
    choose(await bulk.run(verb, chosen));
    setAsking(null);
  }

  // Every matching video is read (all pages) before anything is asked or done.
  const begin = (verb: BulkVerb) =>
    reading.run(verb, "Could not read the list of videos", async () => {
      const chosen = changedBy(verb, everything ? await everyMatching() : selected);
      if (chosen.length === 0) reading.fail(`None of them can be ${WORDS[verb].done.toLowerCase()}.`);
      else if (asksFirst(verb, everything)) setAsking({ verb, items: chosen });
      else await start(verb, chosen);
    });

  return (
    <div className="bulk-bar">
      <div className="toolbar" role="group" aria-label="Selected videos">
        <SelectPage items={items} selection={selection} disabled={busy} />
        {selected.length > 0 && (
          <>
            <SelectionCount shown={items.length} total={total} selection={selection} disabled={busy} />
            {VERBS.map((verb) => (
              <ActionButton
                key={verb}
                className={verb === "delete" ? "button danger" : "button"}
                busy={busy}
                disabled={!everything && changedBy(verb, selected).length === 0}
                onClick={() => void begin(verb)}
              >
                {WORDS[verb].button} selected{asksFirst(verb, everything) ? "…" : ""}
              </ActionButton>
            ))}
          </>
        )}
      </div>
      <p className="visually-hidden" role="status" data-testid="selection-said">
        {selectionSaid(selection, total)}
      </p>
      <FormError message={reading.error} />
      {asking && (
        <AskSelectedDialog
          {...asking}
          // Not `busy`: the list is still being read as the dialog opens, and a
          // disabled Cancel could not take the focus (nor Escape answer it).
          busy={bulk.progress !== null}
          onConfirm={() => void start(asking.verb, asking.items)}
          onCancel={() => setAsking(null)}
        />
      )}
    </div>
  );
}

interface BulkBarProps {
  /** The page's videos, and how many the query matches on every page. */
  items: CatalogueItem[];
  total: number;
  /** Reads every video the query matches (all pages). */
  everyMatching: () => Promise<CatalogueItem[]>;
  selection: LibrarySelection;
  bulk: BulkRun;
}

/** "3 selected", "All 40 matching selected"; nothing when nothing is. */
function selectionSaid(selection: LibrarySelection, total: number): string {
  if (selection.everything) return `All ${total} matching selected`;
  return selection.selected.length > 0 ? `${selection.selected.length} selected` : "";
}

/**
 * "3 selected"; with the whole page selected and more pages, the way to select them all. The
 * count shown is hidden from screen readers, which hear it from the bar's live region instead
 * (it was plain text: ticking a box said nothing of how many were selected now).
 */
function SelectionCount({
  shown,
  total,
  selection,
  disabled,
}: {
  shown: number;
  total: number;
  selection: LibrarySelection;
  disabled: boolean;
}) {
  const count = (
    <span className="muted" aria-hidden="true">
      {selectionSaid(selection, total)}
    </span>
  );
  if (selection.everything || selection.selected.length < shown || total <= shown) return count;
  return (
    <>
      {count}
      <button type="button" className="button ghost" disabled={disabled} onClick={selection.chooseEverything}>
        Select all {total} matching
      </button>
    </>
  );
}

/** What a bulk question says a verb will do to the videos it names. */
const CONSEQUENCE: Record<BulkVerb, string> = {
  publish: "Viewers will see each of them that plays, drafts kept on purpose too. You can undo it after.",
  unpublish: "Viewers will no longer see them, and anyone watching one now is cut off. You can undo it after.",
  transcode:
    "Each is made again from its original with this version’s transcoder; a video that plays goes on playing until its new version is ready.",
  delete: "These videos and their files will be removed for good. This cannot be undone.",
};

/**
 * Asks before a verb that costs something, or that reaches past the page (see asksFirst), saying
 * how many videos and naming the first of them.
 */
function AskSelectedDialog({ verb, items, ...answers }: ConfirmAnswers & { verb: BulkVerb; items: CatalogueItem[] }) {
  return (
    <ConfirmDialog
      title={`${WORDS[verb].button} ${videos(items.length)}?`}
      confirmLabel={WORDS[verb].button}
      destructive={verb === "delete" || verb === "unpublish"}
      {...answers}
    >
      <p>{CONSEQUENCE[verb]}</p>
      <ul className="modal-titles">
        {items.slice(0, NAMED_AT_MOST).map((it) => (
          <li key={it.id}>{it.title}</li>
        ))}
      </ul>
      {items.length > NAMED_AT_MOST && <p>…and {items.length - NAMED_AT_MOST} more.</p>}
    </ConfirmDialog>
  );
}

/** "Select all on this page": checked when all are, mixed when some are. */
function SelectPage({
  items,
  selection,
  disabled,
}: {
  items: CatalogueItem[];
  selection: LibrarySelection;
  disabled: boolean;
}) {
  const box = useRef<HTMLInputElement>(null);
  const count = selection.selected.length;
  const all = count > 0 && count === items.length;
  useEffect(() => {
    if (box.current) box.current.indeterminate = count > 0 && !all;
  }, [count, all]);
  return (
    <label className="check">
      <input
        ref={box}
        type="checkbox"
        checked={all}
        disabled={disabled}
        onChange={(e) => selection.choose(e.target.checked ? items : [])}
      />{" "}
      Select all on this page
    </label>
  );
}

/**
 * How far a bulk action is, then what it did, for the page's live status line; after a publish
 * or unpublish, Undo. Undo stays in its place while it runs (held, keeping the focus), then the
 * notice of what it put back takes the focus.
 */
export function BulkNote({ bulk: { progress, outcome, undo } }: { bulk: BulkRun }) {
  const undoing = progress?.undoing === true;
  return (
    <>
      {progress ? (
        <span role="status">
          {undoing ? "Undoing" : WORDS[progress.verb].doing} {progress.done + 1} of {progress.total}…
        </span>
      ) : (
        <DoneNotice message={outcome?.notice ?? null} />
      )}
      {(undoing || outcome?.undoable) && (
        <ActionButton
          className="button ghost"
          busy={progress !== null}
          label={outcome?.notice ? `Undo: ${outcome.notice}` : undefined}
          onClick={() => void undo()}
        >
          Undo
        </ActionButton>
      )}
    </>
  );
}

/** The videos a bulk action failed on, each with why. */
export function BulkFailures({ outcome }: Pick<BulkRun, "outcome">) {
  if (!outcome || outcome.failures.length === 0) return null;
  return (
    <div className="form-error" role="alert">
      <p>
        {outcome.undone
          ? `Could not put back ${videos(outcome.failures.length)}:`
          : `Could not ${WORDS[outcome.verb].button.toLowerCase()} ${videos(outcome.failures.length)} (still selected):`}
      </p>
      <ul>
        {outcome.failures.map((line) => (
          <li key={line}>{line}</li>
        ))}
      </ul>
    </div>
  );
}
