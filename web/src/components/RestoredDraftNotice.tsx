import type { MouseEvent } from "react";
import type { DraftFields } from "../lib/draftStore";
import type { SessionDraft } from "../lib/useSessionDraft";

/** "title", "title and tags", "title, description and tags". */
function listed(words: string[]): string {
  return words.length < 2 ? (words[0] ?? "") : `${words.slice(0, -1).join(", ")} and ${words.at(-1)}`;
}

/**
 * Said at the top of an edit form that shows text the server does not have: a draft kept
 * when the session ended (Save keeps it, Discard goes back to the server's values), or a save
 * refused because someone changed the item meanwhile (Save again replaces their change, Use
 * theirs takes the server's values). When both changed the same fields, it names them (title,
 * description, tags) and, for a refused save, shows the server's text: Save would replace it.
 */
export function RestoredDraftNotice<T extends DraftFields>({
  draft,
  what,
}: {
  draft: SessionDraft<T>;
  /** What the form edits: "video", "playlist". */
  what: string;
}) {
  if (!draft.restored) return null;
  const { cause, changedOnServer: changed, server, saved } = draft.restored;
  const refused = cause === "changed-elsewhere";

  function discard(event: MouseEvent<HTMLButtonElement>) {
    // The button goes with the notice: the focus goes to the form's first field, not to the page's body.
    const field = event.currentTarget.form?.querySelector<HTMLElement>("input, textarea");
    draft.discard();
    field?.focus();
  }

  return (
    <div className="notice" role={refused ? "alert" : "status"} data-testid="draft-restored">
      {refused ? (
        <p>
          <strong>
            Not saved: someone else changed this {what}
            {changed.length > 0 && `’s ${listed(changed)}`} while you were editing it.
          </strong>{" "}
          Your text is still here.{saved.length > 0 && ` Your change to its ${listed(saved)} was saved.`}
        </p>
      ) : (
        <p>Your unsaved changes from before you were signed out were restored — Save to keep them, or Discard.</p>
      )}
      {changed.length > 0 && (
        <p data-testid="draft-conflict">
          <strong>This {what} was changed since you began editing</strong> (its {listed(changed)}): saving replaces
          that change with yours.
        </p>
      )}
      {refused && changed.length > 0 && (
        <dl className="small" data-testid="draft-server-values">
          {changed.map((field) => (
            <div key={field}>
              <dt>Its {field} now</dt>
              <dd>{server[field] || "(empty)"}</dd>
            </div>
          ))}
        </dl>
      )}
      <button type="button" className="button" onClick={discard}>
        {refused ? "Use theirs" : "Discard"}
      </button>
    </div>
  );
}
