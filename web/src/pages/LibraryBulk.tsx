import { useId, useState } from "react";
import { ActionButton } from "../components/ActionButton";
import { BulkFailureList, BulkProgressLine, SelectPageBox } from "../components/BulkSelection";
import { deleteItem, getItem, updateItem } from "../api/catalogue";
import { ApiError } from "../api/errors";
import { retryTranscode } from "../api/ingest";
import { LIMITS } from "../api/limits";
import type { CatalogueItem, EditedMediaItem } from "../api/schema";
import { ConfirmDialog, type ConfirmAnswers } from "../components/ConfirmDialog";
import { FormError } from "../components/ErrorMessage";
import { InputField } from "../components/Field";
import { DoneNotice } from "../components/FocusedMessage";
import { canTranscodeAgain } from "../components/ProcessingStatus";
import { normalizeTag } from "../lib/format";
import { inTurn } from "../lib/inTurn";
import { useAction } from "../lib/useAction";
import { useLeaveWarning } from "../lib/useLeaveWarning";
import { pausedLinksSentence } from "./LibraryShareLinks";

/** What an admin can do to the selected videos of the library at once. */
export type BulkVerb = "publish" | "unpublish" | "transcode" | "delete" | "addTag" | "removeTag";

/**
 * Each verb's words ("could not …" those it failed on), and whether it always asks first (a
 * transcode costs a whole job; a deletion is for good). The others ask when they reach past
 * the page: see asksFirst.
 */
const WORDS: Record<BulkVerb, { button: string; doing: string; done: string; couldNot: string; asks: boolean }> = {
  publish: { button: "Publish", doing: "Publishing", done: "Published", couldNot: "publish", asks: false },
  unpublish: { button: "Unpublish", doing: "Unpublishing", done: "Unpublished", couldNot: "unpublish", asks: false },
  transcode: { button: "Transcode again", doing: "Queueing", done: "Queued", couldNot: "transcode again", asks: true },
  delete: { button: "Delete", doing: "Deleting", done: "Deleted", couldNot: "delete", asks: true },
  addTag: { button: "Add tag", doing: "Tagging", done: "Tagged", couldNot: "add the tag to", asks: false },
  removeTag: { button: "Remove tag", doing: "Untagging", done: "Untagged", couldNot: "remove the tag from", asks: false },
};
/** The verbs with a button of their own; the tag verbs have theirs beside the tag field. */
const BUTTON_VERBS: BulkVerb[] = ["publish", "unpublish", "transcode", "delete"];

/** The verbs that add or remove a tag (the one the admin typed). */
type TagVerb = "addTag" | "removeTag";

function isTagVerb(verb: BulkVerb): verb is TagVerb {
  return verb === "addTag" || verb === "removeTag";
}

/** The verbs an Undo puts back: a status, or a tag. */
type UndoableVerb = "publish" | "unpublish" | TagVerb;

/** What puts back what an undoable verb did: each video it changed had the other status, or tag. */
const OPPOSITE: Record<UndoableVerb, UndoableVerb> = {
  publish: "unpublish",
  unpublish: "publish",
  addTag: "removeTag",
  removeTag: "addTag",
};

function isUndoable(verb: BulkVerb): verb is UndoableVerb {
  return verb in OPPOSITE;
}

/**
 * Whether `verb` asks before it runs: always for a transcode or a deletion; for the others,
 * when every matching video is selected, most of them on pages not shown (publishing all 26
 * drafts of a search published ones that were drafts on purpose).
 */
function asksFirst(verb: BulkVerb, everything: boolean): boolean {
  return WORDS[verb].asks || everything;
}

/** How many videos a question names; the rest are counted. */
const NAMED_AT_MOST = 10;

export interface LibrarySelection {
  /**
   * The selected videos: those ticked on other pages of the query (as they were read), then
   * the shown page's (as shown now), in its order.
   */
  selected: CatalogueItem[];
  /** How many of them the shown page holds. */
  shownCount: number;
  /** Every video the page's query matches is selected, on this page and the others. */
  everything: boolean;
  /** A change of filters or search let a selection go (until something is selected again). */
  cleared: boolean;
  isSelected: (id: string) => boolean;
  toggle: (item: CatalogueItem, on: boolean) => void;
  /** Selects every video of the shown page, or none of them, keeping the other pages' selection. */
  togglePage: (on: boolean) => void;
  /** Selects exactly these videos (none: clears the selection). */
  choose: (items: CatalogueItem[]) => void;
  chooseEverything: () => void;
}

interface SelectionState {
  queryKey: string;
  /** The videos ticked, by id, in the order they were. */
  chosen: ReadonlyMap<string, CatalogueItem>;
  everything: boolean;
  cleared: boolean;
}

const byId = (items: Iterable<CatalogueItem>) => new Map([...items].map((it) => [it.id, it]));

/**
 * Which videos are selected, on the shown page and the others, or whether every one the
 * query matches is. A selection belongs to one query (`queryKey`: the filters and search,
 * not the page or the order): turning pages keeps it, so videos of several pages are acted
 * on at once; another filter or search lets it go (it may not match that) and says so.
 */
export function useLibrarySelection(items: CatalogueItem[], queryKey: string): LibrarySelection {
  const [state, setState] = useState<SelectionState>({ queryKey, chosen: new Map(), everything: false, cleared: false });
  const had = state.everything || state.chosen.size > 0;
  if (state.queryKey !== queryKey) {
    // Set while rendering (React renders again at once): the new query starts with none.
    setState({ queryKey, chosen: new Map(), everything: false, cleared: had });
  }
  const shown = byId(items);
  const chosen = state.everything ? shown : state.chosen;
  const elsewhere = [...chosen.values()].filter((it) => !shown.has(it.id));
  const here = items.filter((it) => chosen.has(it.id));
  const select = (picked: Iterable<CatalogueItem>, everything = false) =>
    setState({ queryKey, chosen: byId(picked), everything, cleared: false });
  return {
    selected: [...elsewhere, ...here],
    shownCount: here.length,
    everything: state.everything,
    cleared: state.cleared,
    isSelected: (id) => chosen.has(id),
    toggle: (item, on) => select(on ? [...chosen.values(), item] : [...chosen.values()].filter((it) => it.id !== item.id)),
    togglePage: (on) => select(on ? [...elsewhere, ...items] : elsewhere),
    choose: (picked) => select(picked),
    chooseEverything: () => select(items, true),
  };
}

/**
 * The selected videos a verb changes: publishing skips those already published, transcoding
 * those whose job is on its way (or sounds), adding `tag` those that have it, and so on.
 * Unpublishing takes scheduled drafts too: each would go public at its time, so it cancels
 * their schedule (as `streamstack items unpublish` does).
 */
export function changedBy(verb: BulkVerb, items: CatalogueItem[], tag = ""): CatalogueItem[] {
  if (verb === "delete") return items;
  if (verb === "transcode") return items.filter(canTranscodeAgain);
  if (isTagVerb(verb)) return items.filter((it) => it.tags.includes(normalizeTag(tag)) === (verb === "removeTag"));
  if (verb === "unpublish") return items.filter((it) => it.status === "published" || isScheduled(it));
  return items.filter((it) => it.status !== "published");
}

/** A draft that goes public by itself at its time. */
function isScheduled(item: CatalogueItem): boolean {
  return item.status === "draft" && Boolean(item.publish_at);
}

interface BulkProgress {
  verb: BulkVerb;
  /** The tag a tag verb adds or removes. */
  tag: string;
  done: number;
  total: number;
  /** The run puts back what the last one did (Undo). */
  undoing: boolean;
}

/** A bulk action's state, kept by the page: its outcome outlives a list the action emptied. */
export interface BulkRun {
  progress: BulkProgress | null;
  outcome: BulkOutcome | null;
  /** Does `verb` (with `tag`, a tag verb) to each of `items` in turn; resolves to those it failed on. */
  run: (verb: BulkVerb, items: CatalogueItem[], tag?: string) => Promise<CatalogueItem[]>;
  /** Puts each video the last publish, unpublish or tag change changed back as it was. */
  undo: () => Promise<void>;
}

interface BulkOutcome {
  notice: string | null;
  /** One line per video the verb failed on: its title and the server's reason. */
  failures: string[];
  verb: BulkVerb;
  tag: string;
  /** The videos an undoable verb changed, as it left them: what Undo puts back. */
  undoable: CatalogueItem[] | null;
  /** This was an Undo: what it failed on is not kept selected. */
  undone: boolean;
}

/**
 * Does `verb` to one video; the video's new state, but after a deletion. An Undo of an
 * unpublish schedules a video again whose cancelled time is still to come: it would not
 * have gone public yet.
 */
async function applyTo(verb: BulkVerb, item: CatalogueItem, tag: string, undoing: boolean): Promise<CatalogueItem | EditedMediaItem | null> {
  if (verb === "delete") {
    await deleteItem(item.id);
    return null;
  }
  if (verb === "transcode") return retryTranscode(item.id); // queued: its row follows it
  if (isTagVerb(verb)) return retag(item, verb, tag);
  if (undoing && verb === "publish" && isScheduled(item) && Date.parse(item.publish_at ?? "") > Date.now()) {
    return updateItem(item.id, { publish_at: item.publish_at });
  }
  return updateItem(item.id, { status: verb === "publish" ? "published" : "draft" });
}

/**
 * `tags` with `tag` added or taken away; an addition past the limit of tags is refused here
 * (the video is told as failed, with why, and the run goes on).
 */
function retagged(tags: string[], verb: TagVerb, tag: string): string[] {
  const key = normalizeTag(tag);
  if (verb === "removeTag") return tags.filter((it) => it !== key);
  if (tags.includes(key)) return tags;
  if (tags.length >= LIMITS.tags) {
    throw new Error(`it has ${tags.length} tags already, and a video can have at most ${LIMITS.tags}`);
  }
  return [...tags, key];
}

/**
 * Adds or removes a tag of one video on the condition that its tags are as read (its `etag`
 * as If-Match): when someone changed them meanwhile, the video is read again and the tag
 * added to or removed from theirs, never putting back the tags as this page read them.
 */
async function retag(item: CatalogueItem, verb: TagVerb, tag: string): Promise<CatalogueItem> {
  try {
    return await updateItem(item.id, { tags: retagged(item.tags, verb, tag) }, item.etag);
  } catch (error) {
    if (!(error instanceof ApiError && error.code === "changed_elsewhere")) throw error;
    const now = await getItem(item.id);
    return updateItem(item.id, { tags: retagged(now.tags, verb, tag) }, now.etag);
  }
}

function videos(count: number): string {
  return count === 1 ? "1 video" : `${count} videos`;
}

/**
 * "Published 3 videos.", "Unpublished 3 videos (1 scheduled: schedule cancelled).", or after
 * an Undo "Undone: 3 videos are drafts again."; `scheduled`: how many of them were (or,
 * undone, are again) scheduled drafts.
 */
function doneNotice(verb: BulkVerb, count: number, undoing: boolean, tag: string, scheduled: number): string {
  if (isTagVerb(verb)) return tagNotice(verb, count, undoing, tag);
  if (!undoing) {
    const cancelled = scheduled > 0 ? ` (${scheduled} scheduled: schedule cancelled)` : "";
    return `${WORDS[verb].done} ${videos(count)}${cancelled}.`;
  }
  const are = count === 1 ? "is" : "are";
  if (verb === "unpublish") return `Undone: ${videos(count)} ${are} draft${count === 1 ? "" : "s"} again.`;
  const back = scheduled === 0 ? "published" : scheduled === count ? "scheduled" : "published or scheduled";
  return `Undone: ${videos(count)} ${are} ${back} again.`;
}

/** "Added “travel” to 3 videos.", or after an Undo "Undone: 3 videos have “travel” again." */
function tagNotice(verb: TagVerb, count: number, undoing: boolean, tag: string): string {
  const named = `“${normalizeTag(tag)}”`;
  if (undoing) {
    const have = count === 1 ? "has" : "have";
    return verb === "addTag" ? `Undone: ${videos(count)} ${have} ${named} again.` : `Undone: ${named} is off ${videos(count)} again.`;
  }
  return verb === "addTag" ? `Added ${named} to ${videos(count)}.` : `Removed ${named} from ${videos(count)}.`;
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

  async function runOver(verb: BulkVerb, items: CatalogueItem[], undoing: boolean, tag = ""): Promise<CatalogueItem[]> {
    setOutcome(null);
    // Each video as the verb left it: an Undo of tags sends their new etag; an unpublished
    // scheduled draft keeps the time it had, which an Undo sets again.
    const changed: CatalogueItem[] = [];
    let scheduled = 0;
    let paused = 0;
    const { failed, reasons } = await inTurn(
      items,
      async (item) => {
        const now = await applyTo(verb, item, tag, undoing);
        if (now) onChanged(now);
        if (now && "paused_share_links" in now) paused += now.paused_share_links ?? 0;
        const cancelled = verb === "unpublish" && isScheduled(item);
        if (cancelled || (undoing && now !== null && isScheduled(now))) scheduled += 1;
        changed.push(now && cancelled ? { ...now, publish_at: item.publish_at } : (now ?? item));
      },
      (done, total) => setProgress({ verb, tag, done, total, undoing }),
    );
    setProgress(null);
    const pausedLinks = pausedLinksSentence(paused, changed.length);
    const notice = changed.length > 0 ? doneNotice(verb, changed.length, undoing, tag, scheduled) + (pausedLinks && ` ${pausedLinks}`) : null;
    const undoable = !undoing && isUndoable(verb) && changed.length > 0 ? changed : null;
    setOutcome({ verb, tag, failures: reasons, notice, undoable, undone: undoing });
    if (changed.length > 0) onSettled(verb);
    return failed;
  }

  async function undo() {
    if (!outcome?.undoable || !isUndoable(outcome.verb)) return;
    await runOver(OPPOSITE[outcome.verb], outcome.undoable, true, outcome.tag);
  }

  return { progress, outcome, run: (verb, items, tag) => runOver(verb, items, false, tag), undo };
}

/** Why nothing selected would change: "None of them can be published.", "Each of them has “travel” already." */
function nothingToDo(verb: BulkVerb, tag: string): string {
  const named = `“${normalizeTag(tag)}”`;
  if (verb === "addTag") return `Each of them has ${named} already.`;
  if (verb === "removeTag") return `None of them has ${named}.`;
  return `None of them can be ${WORDS[verb].done.toLowerCase()}.`;
}

/** Why a tag typed for a bulk tag change cannot be one, else null. */
function tagProblem(tag: string): string | null {
  if (normalizeTag(tag) === "") return "Type the tag first.";
  return tag.includes(",") ? "A tag cannot hold a comma: add one tag at a time." : null;
}

interface Asking {
  verb: BulkVerb;
  items: CatalogueItem[];
  tag: string;
}

/**
 * The selection's controls above the list: select the whole page, or every video the query
 * matches, and publish, unpublish, transcode again or delete (these two asked first) what is
 * selected, or add or remove a tag. What fails stays selected, to try again.
 */
export function LibraryBulkBar({ items, total, everyMatching, selection, bulk, tags, search, loading }: BulkBarProps) {
  const [asking, setAsking] = useState<Asking | null>(null);
  const reading = useAction();
  const { selected, everything, choose } = selection;
  const busy = bulk.progress !== null || reading.running !== null;

  async function start({ verb, items: chosen, tag }: Asking) {
    choose(await bulk.run(verb, chosen, tag));
    setAsking(null);
  }

  // Every matching video is read (all pages) before anything is asked or done.
  const begin = (verb: BulkVerb, tag = "") =>
    reading.run(verb, "Could not read the list of videos", async () => {
      const chosen = changedBy(verb, everything ? await everyMatching() : selected, tag);
      if (chosen.length === 0) reading.fail(nothingToDo(verb, tag));
      else if (asksFirst(verb, everything)) setAsking({ verb, items: chosen, tag });
      else await start({ verb, items: chosen, tag });
    });

  return (
    <div className="bulk-bar">
      <div className="toolbar" role="group" aria-label="Selected videos">
        <SelectPage items={items} selection={selection} disabled={busy || loading} />
        {selected.length > 0 && (
          <>
            <SelectionCount shown={items.length} total={total} selection={selection} disabled={busy} />
            {BUTTON_VERBS.map((verb) => (
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
            <BulkTagField tags={tags} busy={busy} onTag={(verb, tag) => void begin(verb, tag)} onProblem={reading.fail} />
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
          search={search}
          // Not `busy`: the list is still being read as the dialog opens, and a
          // disabled Cancel could not take the focus (nor Escape answer it).
          busy={bulk.progress !== null}
          onConfirm={() => void start(asking)}
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
  /** The library's tags, offered as the tag field is typed. */
  tags: string[];
  /** The search the selection was made in ("" for none): a question reaching past the page says so. */
  search: string;
  /** The page is being read again: its videos shown are the last page's, not to be ticked all at once. */
  loading: boolean;
}

/**
 * The tag to add to or remove from the selected videos: any tag, the library's offered as it
 * is typed; what cannot be a tag is told (`onProblem`) before anything is read or sent.
 */
function BulkTagField({
  tags,
  busy,
  onTag,
  onProblem,
}: {
  tags: string[];
  busy: boolean;
  onTag: (verb: TagVerb, tag: string) => void;
  onProblem: (message: string | null) => void;
}) {
  const [tag, setTag] = useState("");
  const listId = useId();
  const act = (verb: TagVerb) => {
    const problem = tagProblem(tag);
    if (problem) onProblem(problem);
    else onTag(verb, tag);
  };
  return (
    <div className="bulk-tag">
      <InputField label="Tag to add or remove" list={listId} maxLength={LIMITS.tag} value={tag} onChange={setTag} />
      <datalist id={listId}>
        {tags.map((it) => (
          <option key={it} value={it} />
        ))}
      </datalist>
      {(["addTag", "removeTag"] as const).map((verb) => (
        <ActionButton key={verb} className="button" busy={busy} onClick={() => act(verb)}>
          {WORDS[verb].button}
        </ActionButton>
      ))}
    </div>
  );
}

/** "3 selected", "5 selected, 2 on other pages", "All 40 matching selected"; nothing when nothing is. */
function selectionSaid(selection: LibrarySelection, total: number): string {
  if (selection.everything) return `All ${total} matching selected`;
  const count = selection.selected.length;
  const elsewhere = count - selection.shownCount;
  if (count === 0) return "";
  return elsewhere > 0 ? `${count} selected, ${elsewhere} on other pages` : `${count} selected`;
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
  if (selection.selected.length > selection.shownCount) {
    // Some are on pages not shown: the way to let them all go.
    return (
      <>
        {count}
        <button type="button" className="button ghost" disabled={disabled} onClick={() => selection.choose([])}>
          Clear selection
        </button>
      </>
    );
  }
  if (selection.everything || selection.shownCount < shown || total <= shown) return count;
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
const CONSEQUENCE: Record<Exclude<BulkVerb, TagVerb>, string> = {
  publish: "Viewers will see each of them that plays, drafts kept on purpose too. You can undo it after.",
  unpublish: "Viewers will no longer see them, and anyone watching one now is cut off. You can undo it after.",
  transcode:
    "Each is made again from its original with this version’s transcoder; a video that plays goes on playing until its new version is ready.",
  delete: "These videos and their files will be removed for good. This cannot be undone.",
};

/** What a bulk question says the verb will do, and its title: "Add “travel” to 26 videos?" */
function question(verb: BulkVerb, count: number, tag: string): { title: string; consequence: string } {
  const named = `“${normalizeTag(tag)}”`;
  if (verb === "addTag") {
    return { title: `Add ${named} to ${videos(count)}?`, consequence: `Each of them gets the tag ${named}. You can undo it after.` };
  }
  if (verb === "removeTag") {
    return { title: `Remove ${named} from ${videos(count)}?`, consequence: `The tag ${named} is taken off each of them. You can undo it after.` };
  }
  return { title: `${WORDS[verb].button} ${videos(count)}?`, consequence: CONSEQUENCE[verb] };
}

/**
 * Asks before a verb that costs something, or that reaches past the page (see asksFirst), saying
 * how many videos and naming them. A deletion, which cannot be undone, names every one, in a
 * box that scrolls, its button counting them ("Delete 28 videos"): a search may hold videos
 * the admin did not mean, which the first ten names did not show; other questions name ten.
 */
function AskSelectedDialog({ verb, items, tag, search, ...answers }: ConfirmAnswers & Asking & { search: string }) {
  const { title, consequence } = question(verb, items.length, tag);
  const everyOne = verb === "delete";
  const named = everyOne ? items : items.slice(0, NAMED_AT_MOST);
  return (
    <ConfirmDialog
      title={title}
      confirmLabel={everyOne ? `${WORDS[verb].button} ${videos(items.length)}` : WORDS[verb].button}
      destructive={verb === "delete" || verb === "unpublish" || verb === "removeTag"}
      {...answers}
    >
      <p>{consequence}</p>
      {search && everyOne && <p>These are the videos matching “{search}”: check the list before you go on.</p>}
      <ul className={everyOne ? "modal-titles modal-titles-all" : "modal-titles"} aria-label="Selected videos" tabIndex={everyOne ? 0 : undefined}>
        {named.map((it) => (
          <li key={it.id}>{it.title}</li>
        ))}
      </ul>
      {items.length > named.length && <p>…and {items.length - named.length} more.</p>}
    </ConfirmDialog>
  );
}

/** "Select all on this page" over the shown page's videos. */
function SelectPage({ items, selection, disabled }: { items: CatalogueItem[]; selection: LibrarySelection; disabled: boolean }) {
  return <SelectPageBox shown={items.length} selectedHere={selection.shownCount} disabled={disabled} onToggle={selection.togglePage} />;
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
        <BulkProgressLine doing={undoing ? "Undoing" : WORDS[progress.verb].doing} done={progress.done} total={progress.total} />
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
  if (!outcome) return null;
  const count = videos(outcome.failures.length);
  const heading = outcome.undone ? `Could not put back ${count}:` : `Could not ${WORDS[outcome.verb].couldNot} ${count} (still selected):`;
  return <BulkFailureList heading={heading} failures={outcome.failures} />;
}
