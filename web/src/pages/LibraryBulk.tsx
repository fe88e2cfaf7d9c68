import { useCallback, useEffect, useRef, useState } from "react";
import { deleteItem, updateItem } from "../api/catalogue";
import { retryTranscode } from "../api/ingest";
import type { CatalogueItem } from "../api/schema";
import { ConfirmDialog, type ConfirmAnswers } from "../components/ConfirmDialog";
import { DoneNotice } from "../components/FocusedMessage";
import { canTranscodeAgain } from "../components/ProcessingStatus";
import { inTurn } from "../lib/inTurn";

/** What an admin can do to the selected videos of a library page at once. */
export type BulkVerb = "publish" | "unpublish" | "transcode" | "delete";

/** Each verb's words, and whether it asks first (a transcode costs a whole job; a deletion is for good). */
const WORDS: Record<BulkVerb, { button: string; doing: string; done: string; asks: boolean }> = {
  publish: { button: "Publish", doing: "Publishing", done: "Published", asks: false },
  unpublish: { button: "Unpublish", doing: "Unpublishing", done: "Unpublished", asks: false },
  transcode: { button: "Transcode again", doing: "Queueing", done: "Queued", asks: true },
  delete: { button: "Delete", doing: "Deleting", done: "Deleted", asks: true },
};
const VERBS = Object.keys(WORDS) as BulkVerb[];

const NOTHING: ReadonlySet<string> = new Set();

export interface LibrarySelection {
  /** The selected videos of the page, in its order. */
  selected: CatalogueItem[];
  isSelected: (id: string) => boolean;
  toggle: (id: string, on: boolean) => void;
  /** Selects exactly these videos (none: clears the selection). */
  choose: (items: CatalogueItem[]) => void;
}

/**
 * Which videos of the shown page are selected. The selection belongs to one page of one
 * query (`pageKey`): another filter, search or page starts with none selected.
 */
export function useLibrarySelection(items: CatalogueItem[], pageKey: string): LibrarySelection {
  const [state, setState] = useState({ pageKey, ids: NOTHING });
  const ids = state.pageKey === pageKey ? state.ids : NOTHING;
  const toggle = useCallback(
    (id: string, on: boolean) =>
      setState((s) => {
        const next = new Set(s.pageKey === pageKey ? s.ids : NOTHING);
        if (on) next.add(id);
        else next.delete(id);
        return { pageKey, ids: next };
      }),
    [pageKey],
  );
  const choose = useCallback(
    (chosen: CatalogueItem[]) => setState({ pageKey, ids: new Set(chosen.map((it) => it.id)) }),
    [pageKey],
  );
  return { selected: items.filter((it) => ids.has(it.id)), isSelected: (id) => ids.has(id), toggle, choose };
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
}

/** A bulk action's state, kept by the page: its outcome outlives a list the action emptied. */
export interface BulkRun {
  progress: BulkProgress | null;
  outcome: BulkOutcome | null;
  run: (verb: BulkVerb, items: CatalogueItem[]) => Promise<CatalogueItem[]>;
}

interface BulkOutcome {
  notice: string | null;
  /** One line per video the verb failed on: its title and the server's reason. */
  failures: string[];
  verb: BulkVerb;
}

/** Does `verb` to one video; a publish or unpublish hands the video's new state on. */
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

/**
 * Runs a verb over videos in turn (a page holds 24 at most), telling how far it is, then
 * what it did and why each failure failed. Resolves to the videos it failed on.
 */
export function useBulkRun(onChanged: (item: CatalogueItem) => void, onDeleted: () => void): BulkRun {
  const [progress, setProgress] = useState<BulkProgress | null>(null);
  const [outcome, setOutcome] = useState<BulkOutcome | null>(null);

  async function run(verb: BulkVerb, items: CatalogueItem[]): Promise<CatalogueItem[]> {
    setOutcome(null);
    const { failed, reasons } = await inTurn(
      items,
      (item) => applyTo(verb, item, onChanged),
      (done, total) => setProgress({ verb, done, total }),
    );
    setProgress(null);
    const succeeded = items.length - failed.length;
    const notice = succeeded > 0 ? `${WORDS[verb].done} ${videos(succeeded)}.` : null;
    setOutcome({ verb, failures: reasons, notice });
    if (verb === "delete" && succeeded > 0) onDeleted();
    return failed;
  }

  return { progress, outcome, run };
}

/**
 * The selection's controls above the list: select the whole page, and publish, unpublish,
 * transcode again or delete (these two asked first) what is selected. What fails stays
 * selected, to try again.
 */
export function LibraryBulkBar({
  items,
  selection,
  bulk,
}: {
  items: CatalogueItem[];
  selection: LibrarySelection;
  bulk: BulkRun;
}) {
  const [asking, setAsking] = useState<BulkVerb | null>(null);
  const { selected, choose } = selection;
  const busy = bulk.progress !== null;

  async function start(verb: BulkVerb) {
    choose(await bulk.run(verb, changedBy(verb, selected)));
    setAsking(null);
  }

  return (
    <div className="bulk-bar">
      <div className="toolbar" role="group" aria-label="Selected videos">
        <SelectPage items={items} selection={selection} disabled={busy} />
        {selected.length > 0 && (
          <>
            <span className="muted">{selected.length} selected</span>
            {VERBS.map((verb) => (
              <button
                key={verb}
                type="button"
                className={verb === "delete" ? "button danger" : "button"}
                disabled={busy || changedBy(verb, selected).length === 0}
                onClick={() => (WORDS[verb].asks ? setAsking(verb) : void start(verb))}
              >
                {WORDS[verb].button} selected{WORDS[verb].asks ? "…" : ""}
              </button>
            ))}
          </>
        )}
      </div>
      {asking && (
        <AskSelectedDialog
          verb={asking}
          items={changedBy(asking, selected)}
          busy={busy}
          onConfirm={() => void start(asking)}
          onCancel={() => setAsking(null)}
        />
      )}
    </div>
  );
}

/** Asks before a verb that costs something (see WORDS), naming each video it would change. */
function AskSelectedDialog({ verb, items, ...answers }: ConfirmAnswers & { verb: BulkVerb; items: CatalogueItem[] }) {
  const deleting = verb === "delete";
  return (
    <ConfirmDialog
      title={`${WORDS[verb].button} ${videos(items.length)}?`}
      confirmLabel={WORDS[verb].button}
      destructive={deleting}
      {...answers}
    >
      <p>
        {deleting
          ? "These videos and their files will be removed for good. This cannot be undone."
          : "Each is made again from its original with this version’s transcoder; a video that plays goes on playing until its new version is ready."}
      </p>
      <ul>
        {items.map((it) => (
          <li key={it.id}>{it.title}</li>
        ))}
      </ul>
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

/** How far a bulk action is, then what it did, for the page's live status line. */
export function BulkNote({ progress, outcome }: Pick<BulkRun, "progress" | "outcome">) {
  if (progress) {
    return (
      <span role="status">
        {WORDS[progress.verb].doing} {progress.done + 1} of {progress.total}…
      </span>
    );
  }
  return <DoneNotice message={outcome?.notice ?? null} />;
}

/** The videos a bulk action failed on, each with why. */
export function BulkFailures({ outcome }: Pick<BulkRun, "outcome">) {
  if (!outcome || outcome.failures.length === 0) return null;
  return (
    <div className="form-error" role="alert">
      <p>
        Could not {WORDS[outcome.verb].button.toLowerCase()} {videos(outcome.failures.length)} (still selected):
      </p>
      <ul>
        {outcome.failures.map((line) => (
          <li key={line}>{line}</li>
        ))}
      </ul>
    </div>
  );
}
