import { useEffect, useRef } from "react";
import { Link } from "react-router";
import type { ModeratedComment } from "../api/moderation";
import { ActionButton } from "../components/ActionButton";
import { SelectRowBox } from "../components/BulkSelection";
import { commenterName } from "../components/CommentEntry";
import { LinkedText } from "../components/LinkedText";
import { StackedTable } from "../components/StackedTable";
import { formatAge, formatDate } from "../lib/format";
import { commentPath, watchPath } from "../lib/paths";

/** What a row's buttons do: Delete asks first (the page's dialog); Dismiss reports runs at once. */
export interface CommentRowActions {
  /** The comment whose action runs now, if any. */
  running: string | null;
  onDelete: (comment: ModeratedComment) => void;
  onDismiss: (comment: ModeratedComment) => void;
  /** Where the author's name leads: the page showing their comments alone. */
  authorPath: (comment: ModeratedComment) => string;
  /** Whether the row is ticked for the page's bulk actions, and ticking it. */
  isSelected: (id: string) => boolean;
  onSelect: (id: string, on: boolean) => void;
}

/** "Sam’s comment on Sunset": what a row is called to assistive technology and in a bulk action's lists. */
export function commentTitle(comment: ModeratedComment): string {
  return `${commenterName(comment.author_name)}’s comment on ${comment.item_title}`;
}

/**
 * Every video's comments, a row each: the video (a link to it), who wrote it and when, the text
 * (a reply marked so) with a link opening the video at it, its reports and their reasons, and what an admin can do about it. `focused` is the first row
 * Show more brought: its button may be gone with the last page.
 */
export function ModeratedCommentsTable({ comments, focused, actions }: { comments: ModeratedComment[]; focused: string | null; actions: CommentRowActions }) {
  return (
    <StackedTable caption="Comments" columns={["Video", "Author", "Posted", "Comment", "Reports", "Actions"]}>
      {comments.map((comment) => (
        <CommentRow key={comment.id} comment={comment} focused={comment.id === focused} actions={actions} />
      ))}
    </StackedTable>
  );
}

/** A comment's row; each cell is labelled for the phone layout, where the table stacks. */
function CommentRow({ comment, focused, actions }: { comment: ModeratedComment; focused: boolean; actions: CommentRowActions }) {
  const row = useRef<HTMLTableRowElement>(null);
  useEffect(() => {
    if (focused) row.current?.focus();
  }, [focused]);
  const author = commenterName(comment.author_name);
  const busy = actions.running === comment.id;
  return (
    <tr ref={row} tabIndex={focused ? -1 : undefined} data-testid="moderated-comment">
      <td data-label="Video">
        <SelectRowBox title={commentTitle(comment)} selected={actions.isSelected(comment.id)} onSelect={(on) => actions.onSelect(comment.id, on)} />{" "}
        <Link to={watchPath(comment.item_id)}>{comment.item_title}</Link>
      </td>
      <td data-label="Author">
        <Link to={actions.authorPath(comment)} aria-label={`Show comments by ${author}`} title={`Show comments by ${author}`}>
          {author}
        </Link>
      </td>
      <td data-label="Posted">
        <time dateTime={comment.created_at} title={formatDate(comment.created_at)}>
          {formatAge(comment.created_at)}
        </time>
      </td>
      <td data-label="Comment">
        {comment.parent_id !== null && <p className="muted small moderated-comment-reply">Reply to a comment</p>}
        <p className="moderated-comment-body" dir="auto">
          <LinkedText text={comment.body} />
        </p>
        <Link to={commentPath(comment.item_id, comment.id)} className="small" aria-label={`View ${commentTitle(comment)} in context`}>
          View in context
        </Link>
      </td>
      <td data-label="Reports">
        <CommentReports comment={comment} />
      </td>
      <td data-label="Actions">
        <div className="button-row">
          <ActionButton label={`Delete ${commentTitle(comment)}`} busy={busy} onClick={() => actions.onDelete(comment)}>
            Delete
          </ActionButton>
          {comment.reports > 0 && (
            <ActionButton label={`Dismiss the reports on ${commentTitle(comment)}`} busy={busy} onClick={() => actions.onDismiss(comment)}>
              Dismiss reports
            </ActionButton>
          )}
        </div>
      </td>
    </tr>
  );
}

/** "2 reports, the last 3 h ago" and the reasons given, newest first; "None" before any. */
function CommentReports({ comment }: { comment: ModeratedComment }) {
  if (comment.reports === 0) return <span className="muted">None</span>;
  const last = comment.last_reported_at;
  return (
    <>
      <span className="badge failed">{comment.reports === 1 ? "1 report" : `${comment.reports} reports`}</span>
      {last && (
        <span className="muted small">
          {" "}
          the last <time dateTime={last} title={formatDate(last)}>{formatAge(last)}</time>
        </span>
      )}
      {comment.reasons.length > 0 && (
        <ul className="report-reasons" aria-label="Reasons given">
          {comment.reasons.map((reason, i) => (
            <li key={i}>{reason}</li>
          ))}
        </ul>
      )}
    </>
  );
}
