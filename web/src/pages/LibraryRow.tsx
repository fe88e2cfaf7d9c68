import { useEffect, useId, useRef, useState, type FormEvent, type RefObject } from "react";
import { Link } from "react-router";
import { getItem, updateItem } from "../api/catalogue";
import { commentsEnabled } from "../api/comments";
import { errorSentence } from "../api/errors";
import type { CatalogueItem, UpdateMediaItem } from "../api/schema";
import { FormError } from "../components/ErrorMessage";
import { SelectField } from "../components/Field";
import { ActionButton } from "../components/ActionButton";
import { SelectRowBox } from "../components/BulkSelection";
import { Thumbnail } from "../components/MediaCard";
import { DescriptionAndTagsFields, TitleField } from "../components/MediaFields";
import { RestoredDraftNotice } from "../components/RestoredDraftNotice";
import {
  failedUnplayable,
  isTranscoding,
  outdatedLabel,
  processingLabel,
  TranscodeAgainButton,
} from "../components/ProcessingStatus";
import { formatDate, formatViews, parseTags, tagsProblem } from "../lib/format";
import { watchPath } from "../lib/paths";
import { useAction, type Action } from "../lib/useAction";
import { useItemPolling, useScheduledPublishing } from "../lib/useItemPolling";
import { useLeaveGuard } from "../lib/leaveGuard";
import { useConditionalSave } from "../lib/useConditionalSave";
import { useKeptDraft, useSessionDraft, type SessionDraft } from "../lib/useSessionDraft";
import { LibraryCaptions } from "./LibraryCaptions";
import { LibraryFacts } from "./LibraryFacts";
import { LibrarySchedule } from "./LibrarySchedule";
import { LibraryReplace } from "./LibraryReplace";
import { LibraryThumbnail } from "./LibraryThumbnail";
import { LibraryShareLinks, pausedLinksSentence } from "./LibraryShareLinks";
import { LibraryStatistics } from "./LibraryStatistics";
import { SubmitButton } from "../components/SubmitButton";

/**
 * One video of the library: what it is and where its processing stands, with
 * edit (inline, with its captions and reading its file again), publish/unpublish, transcode again and
 * delete (which the page confirms), and a check box selecting it for the page's bulk actions. Saving and publishing tell their failure
 * under the row, in either mode.
 */
export function LibraryRow({
  item,
  selected,
  onSelect,
  onChanged,
  onDelete,
  openEditing = false,
}: {
  item: CatalogueItem;
  /** Whether the row is among the page's selection (see LibraryBulk). */
  selected: boolean;
  onSelect: (on: boolean) => void;
  /** The row's item as it is now; `done`: what a save or publish did, for the page's status line. */
  onChanged: (item: CatalogueItem, done?: string) => void;
  onDelete: (item: CatalogueItem) => void;
  /** Whether the row opens with its edit form (the page was opened for this video). */
  openEditing?: boolean;
}) {
  const id = useId();
  const action = useAction();
  const kept = useKeptDraft({ form: "item", id: item.id });
  const { editing, editButton, startEdit, stopEdit } = useRowEditing(action, kept || openEditing);
  const processing = isTranscoding(item);
  // Queued or transcoding (after an upload or a retry): the row follows it.
  useItemPolling(item.id, processing && !editing, onChanged);
  // A scheduled draft: the row turns "Published" once the server publishes it.
  useScheduledPublishing(item, !editing, onChanged);

  return (
    <li className="library-row" data-testid="library-item" aria-labelledby={`${id}-title`}>
      <Link to={watchPath(item.id)} className="library-thumb" tabIndex={-1} aria-hidden="true">
        <Thumbnail item={item} sizes="(max-width: 40rem) 100vw, 12rem" />
      </Link>
      <div className="library-body">
        {editing ? (
          <LibraryRowEditing titleId={`${id}-title`} item={item} action={action} onChanged={onChanged} onDone={stopEdit} />
        ) : (
          <>
            <SelectRowBox title={item.title} selected={selected} onSelect={onSelect} />
            <LibrarySummary item={item} titleId={`${id}-title`} />
            <LibraryRowActions
              item={item}
              action={action}
              editButton={editButton}
              onEdit={startEdit}
              onChanged={onChanged}
              onDelete={() => onDelete(item)}
            />
            <FormError message={action.error} />
          </>
        )}
      </div>
    </li>
  );
}

/** A row being edited: its form, then its thumbnail, its captions, its file and replacing it. `onDone`: saved or cancelled. */
function LibraryRowEditing({
  titleId,
  item,
  action,
  onChanged,
  onDone,
}: {
  titleId: string;
  item: CatalogueItem;
  action: Action;
  onChanged: (item: CatalogueItem, done?: string) => void;
  onDone: () => void;
}) {
  return (
    <>
      {/* The row's name and the heading its Thumbnail, Captions and File sections come under, while
          the summary's title is replaced by the form. */}
      <h2 id={titleId} className="visually-hidden">
        Editing {item.title}
      </h2>
      <LibraryEditForm
        item={item}
        action={action}
        onSaved={(updated) => {
          onChanged(updated, `Saved “${updated.title}”.`);
          onDone();
        }}
        onChanged={onChanged}
        onCancel={onDone}
      />
      <LibrarySchedule item={item} onChanged={onChanged} />
      <LibraryThumbnail item={item} onChanged={onChanged} />
      <LibraryCaptions itemId={item.id} title={item.title} />
      <LibraryFacts item={item} onChanged={onChanged} />
      <LibraryReplace item={item} onChanged={onChanged} />
    </>
  );
}

/**
 * Whether the row shows its edit form: open from the start when it has a draft to restore
 * (`openAtStart`: the session ended while it was open) or the page was opened to edit it. Saved or cancelled, the focus goes back to Edit,
 * not to the top of the page (the form's focused button is gone) where a keyboard user
 * had to find their row again; once the save has settled, since Edit is disabled while
 * it runs.
 */
function useRowEditing(action: Action, openAtStart: boolean) {
  const [editing, setEditing] = useState(openAtStart);
  const editButton = useRef<HTMLButtonElement>(null);
  const closed = useRef(false);
  const settled = !editing && action.running === null;
  useEffect(() => {
    if (!settled || !closed.current) return;
    closed.current = false;
    editButton.current?.focus();
  }, [settled]);

  function startEdit() {
    action.fail(null);
    setEditing(true);
  }

  function stopEdit() {
    closed.current = true;
    setEditing(false);
  }

  return { editing, editButton, startEdit, stopEdit };
}

interface LibraryEditFormProps {
  item: CatalogueItem;
  /** The row's action: saving disables the row's buttons and tells its failure under the row. */
  action: Action;
  onSaved: (item: CatalogueItem) => void;
  /** The item as the server has it now, read again after a save was refused. */
  onChanged: (item: CatalogueItem) => void;
  onCancel: () => void;
}

type Visibility = NonNullable<CatalogueItem["visibility"]>;
/** `comments_enabled` as a draft keeps it, in words: "on" or "off". */
type ItemFields = { title: string; description: string; tags: string; visibility: Visibility; comments_enabled: "on" | "off" };

/** The edit form's visibility choices, in words a viewer of the library understands. */
const VISIBILITY_CHOICES: { value: Visibility; label: string }[] = [
  { value: "listed", label: "Listed: in Browse and search" },
  { value: "unlisted", label: "Unlisted: only people with the link" },
];

/** Who finds the video: listed (Browse, search) or unlisted (its link alone). */
function VisibilityField({ value, onChange }: { value: Visibility; onChange: (value: string) => void }) {
  return <SelectField label="Visibility" value={value} choices={VISIBILITY_CHOICES} onChange={onChange} />;
}

/** Whether viewers may comment on the video (admins still see and delete the comments when not). */
function AllowCommentsField({ value, onChange }: { value: "on" | "off"; onChange: (value: "on" | "off") => void }) {
  const id = useId();
  return (
    <div className="field checkbox">
      <input id={id} type="checkbox" checked={value === "on"} onChange={(e) => onChange(e.target.checked ? "on" : "off")} />
      <label htmlFor={id}>Allow comments</label>
    </div>
  );
}

/** Who finds the video, and whether viewers may comment on it. */
function SharingFields({ draft }: { draft: SessionDraft<ItemFields> }) {
  const { visibility, comments_enabled } = draft.values;
  return (
    <>
      <VisibilityField value={visibility} onChange={(value) => draft.change("visibility", value)} />
      <AllowCommentsField value={comments_enabled} onChange={(value) => draft.change("comments_enabled", value)} />
    </>
  );
}

/** What the form edits of `item`, as its fields show it. */
function fieldsOf(item: CatalogueItem): ItemFields {
  const comments = commentsEnabled(item) ? "on" : "off";
  return { title: item.title, description: item.description, tags: item.tags.join(", "), visibility: item.visibility ?? "listed", comments_enabled: comments };
}

/**
 * Only what the admin changed, as the API takes it: a field sent unchanged would put back
 * what another admin (or tab) saved since this form opened. Tags retyped alike are no change.
 */
function editOf(changes: Partial<ItemFields>, base: ItemFields): UpdateMediaItem {
  const edit: UpdateMediaItem = {};
  if (changes.title !== undefined) edit.title = changes.title.trim();
  if (changes.description !== undefined) edit.description = changes.description.trim();
  if (changes.tags !== undefined && parseTags(changes.tags).join(",") !== parseTags(base.tags).join(",")) {
    edit.tags = parseTags(changes.tags);
  }
  if (changes.visibility !== undefined && changes.visibility !== base.visibility) edit.visibility = changes.visibility;
  if (changes.comments_enabled !== undefined && changes.comments_enabled !== base.comments_enabled) edit.comments_enabled = changes.comments_enabled === "on";
  return edit;
}

/**
 * Title, description and tags of one video, as they are when the form opens (or as a
 * draft kept when the session ended left them); checked here (a title, tags within the
 * limits), then saved through the row's `action`: only what changed, and only if no one
 * else changed it meanwhile (`useConditionalSave`).
 */
function LibraryEditForm(props: LibraryEditFormProps) {
  const { item, action, onCancel } = props;
  const draft = useSessionDraft({ form: "item", id: item.id }, fieldsOf(item));
  const save = useConditionalSave(item.etag, draft, {
    update: (edit: UpdateMediaItem, ifMatch) => updateItem(item.id, edit, ifMatch),
    reread: () => getItem(item.id),
    fieldsOf,
    onSaved: props.onSaved,
    onChanged: props.onChanged,
  });
  useLeaveGuard(`item-${item.id}`, draft.dirty);
  const { title, description, tags } = draft.values;
  const [tagsError, setTagsError] = useState<string | null>(null);
  const busy = action.running !== null;

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (title.trim() === "") {
      action.fail("The title cannot be empty.");
      return;
    }
    const problem = tagsProblem(parseTags(tags));
    setTagsError(problem);
    if (problem) return;
    const edit = editOf(draft.changes, draft.base);
    // Nothing changed: nothing to send (an empty edit is a 400), the form just closes.
    if (Object.keys(edit).length === 0) return onCancel();
    await action.run("save", errorSentence, () => save(edit));
  }

  return (
    <form className="form compact" onSubmit={(e) => void submit(e)} aria-label={`Edit ${item.title}`}>
      <RestoredDraftNotice draft={draft} what="video" />
      {/* Edit, which had the focus, is gone: the focus goes to the form, not to the page's body. */}
      <TitleField value={title} onChange={(text) => draft.change("title", text)} autoFocus />
      <DescriptionAndTagsFields
        description={description}
        onDescription={(text) => draft.change("description", text)}
        tags={tags}
        onTags={(text) => {
          draft.change("tags", text);
          setTagsError(null);
        }}
        tagsPlaceholder="comma, separated"
        tagsError={tagsError}
        durationSeconds={item.duration_seconds}
      />
      <SharingFields draft={draft} />
      {/* By the Save button: under the row it was below the captions, out of view. */}
      <FormError message={action.error} />
      <SaveOrCancel busy={busy} onCancel={onCancel} />
    </form>
  );
}

/** The edit form's Save (Saving… while it saves) and Cancel. */
function SaveOrCancel({ busy, onCancel }: { busy: boolean; onCancel: () => void }) {
  return (
    <div className="button-row">
      <SubmitButton className="button primary" busy={busy}>
        {busy ? "Saving…" : "Save"}
      </SubmitButton>
      <button type="button" className="button" disabled={busy} onClick={onCancel}>
        Cancel
      </button>
    </div>
  );
}

/**
 * Why viewers do not see a published video that does not play. A failed one never will
 * unless someone acts: "once it can play" read as if it only had to wait, and "transcoded
 * again" alone cannot mend a damaged file, which wants a good copy.
 */
function hiddenSentence(item: CatalogueItem): string {
  return item.processing_state === "failed"
    ? "Viewers cannot see it until it plays: transcode it again, or replace its file with a good copy."
    : "Viewers see it once it can play.";
}

/**
 * When a scheduled draft goes public, in the viewer's time: once its time has come, it
 * waits to play, and a failed one (which will not, unless transcoded again) says so in red.
 */
function scheduleLine(item: CatalogueItem, now: number = Date.now()): { text: string; failed: boolean } | null {
  if (item.status !== "draft" || !item.publish_at) return null;
  const when = formatDate(item.publish_at);
  if (Date.parse(item.publish_at) > now || item.playable !== false) return { text: `Scheduled for ${when}`, failed: false };
  if (failedUnplayable(item)) {
    return { text: `Not published at ${when}: it does not play. It goes public once it is transcoded again.`, failed: true };
  }
  return { text: `Scheduled for ${when}: it goes public once it can play.`, failed: false };
}

/** The row's status badge: a draft with a publish time is "Scheduled" (its line says when). */
function statusLabel(item: CatalogueItem): string {
  if (item.status === "published") return "Published";
  return item.publish_at ? "Scheduled" : "Draft";
}

/**
 * The status badge's colour: a published video viewers cannot see yet (it does not play)
 * is not shown in the green of one they watch; the line under the title says why.
 */
function statusClass(item: CatalogueItem): string {
  return item.status === "published" && item.playable === false ? "" : item.status;
}

/** A video's title (its row's name) with its status, where its processing stands, its description and tags. */
function LibrarySummary({ item, titleId }: { item: CatalogueItem; titleId: string }) {
  const processing = processingLabel(item);
  const outdated = outdatedLabel(item);
  const scheduled = scheduleLine(item);
  return (
    <>
      {/* The heading is the title alone (a list of headings read "Final Published"); its badges
          follow it on its line, read next. */}
      <div className="library-heading">
        <h2 id={titleId} className="library-title">
          <Link to={watchPath(item.id)}>{item.title}</Link>
        </h2>
        <span data-testid="library-badges">
          <span className={`badge ${statusClass(item)}`}>{statusLabel(item)}</span>
          {/* Spaced: run together, a screen reader read "PublishedUnlisted" as one word. */}
          {item.visibility === "unlisted" && <> <span className="badge unlisted">Unlisted</span></>}
          {item.comments_enabled === false && <> <span className="badge">Comments off</span></>}
        </span>
      </div>
      {/* "Published" beside a failed or queued video read as if viewers saw it: they see it once it plays. */}
      {item.status === "published" && item.playable === false && (
        <p className="muted small" data-testid="library-hidden">
          {hiddenSentence(item)}
        </p>
      )}
      {scheduled && (
        <p className={scheduled.failed ? "form-error small" : "muted small"} data-testid="library-scheduled">
          {scheduled.text}
        </p>
      )}
      {processing && (
        <p className={failedUnplayable(item) ? "form-error small" : "muted small"} data-testid="library-processing">
          {processing}
        </p>
      )}
      {outdated && (
        <p className="muted small" data-testid="library-outdated">
          {outdated}
        </p>
      )}
      {item.description && <p className="library-description">{item.description}</p>}
      <p className="muted small" data-testid="library-facts-line">
        {item.tags.length > 0 ? `Tags: ${item.tags.join(", ")} · ` : ""}
        Added {formatDate(item.created_at)} · {formatViews(item.view_count)}
      </p>
    </>
  );
}

/**
 * What an admin can do to a video from its row; each button names the video
 * for assistive technology. Publishing runs as the row's `action`.
 */
function LibraryRowActions({
  item,
  action,
  editButton,
  onEdit,
  onChanged,
  onDelete,
}: {
  item: CatalogueItem;
  action: Action;
  editButton: RefObject<HTMLButtonElement | null>;
  onEdit: () => void;
  onChanged: (item: CatalogueItem, done?: string) => void;
  onDelete: () => void;
}) {
  const busy = action.running !== null;
  const publish = item.status === "published" ? "Unpublish" : "Publish";
  const togglePublish = () =>
    action.run("publish", errorSentence, async () => {
      const updated = await updateItem(item.id, { status: item.status === "published" ? "draft" : "published" });
      const paused = pausedLinksSentence(updated.paused_share_links ?? 0, 1);
      const unpublished = `Unpublished “${updated.title}”: only admins see it now.${paused && ` ${paused}`}`;
      onChanged(updated, updated.status === "published" ? publishedSentence(item, updated) : unpublished);
    });

  return (
    <div className="button-row">
      <ActionButton buttonRef={editButton} label={`Edit ${item.title}`} busy={busy} onClick={onEdit}>
        Edit
      </ActionButton>
      <ActionButton
        label={`${publish} ${item.title}`}
        busy={busy}
        toggle
        onClick={() => void togglePublish()}
      >
        {publish}
      </ActionButton>
      <TranscodeAgainButton item={item} onQueued={onChanged} />
      <LibraryShareLinks item={item} />
      <LibraryStatistics item={item} />
      <ActionButton label={`Delete ${item.title}`} className="button danger" busy={busy} onClick={onDelete}>
        Delete
      </ActionButton>
    </div>
  );
}

/**
 * What publishing `before` said: a video that was public before keeps its first publish date
 * (the server's rule), so it goes back to its place among the newest, not to the top as new.
 */
function publishedSentence(before: CatalogueItem, updated: CatalogueItem): string {
  if (!before.published_at) return `Published “${updated.title}”.`;
  return `Published “${updated.title}” again. It keeps its first publish date, ${formatDate(before.published_at)}, so it goes back to its place and does not show as new.`;
}
