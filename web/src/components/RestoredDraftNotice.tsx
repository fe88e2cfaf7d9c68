import type { MouseEvent } from "react";
import type { DraftFields } from "../lib/draftStore";
import type { SessionDraft } from "../lib/useSessionDraft";

/** "title", "title and tags", "title, description and tags". */
function listed(words: string[]): string {
  return words.length < 2 ? (words[0] ?? "") : `${words.slice(0, -1).join(", ")} and ${words.at(-1)}`;
}

/**
 * Said at the top of an edit form that shows a draft kept when the session ended: Save keeps
 * it, Discard goes back to the server's values. When someone changed the item meanwhile, it
 * says which fields (by their names: title, description, tags), since Save would replace
 * their change.
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
  const changed = draft.restored.changedOnServer;

  function discard(event: MouseEvent<HTMLButtonElement>) {
    // The button goes with the notice: the focus goes to the form's first field, not to the page's body.
    const field = event.currentTarget.form?.querySelector<HTMLElement>("input, textarea");
    draft.discard();
    field?.focus();
  }

  return (
    <div className="notice" role="status" data-testid="draft-restored">
      <p>Your unsaved changes from before you were signed out were restored — Save to keep them, or Discard.</p>
      {changed.length > 0 && (
        <p data-testid="draft-conflict">
          <strong>This {what} was changed since you began editing</strong> (its {listed(changed)}): saving replaces
          that change with yours.
        </p>
      )}
      <button type="button" className="button" onClick={discard}>
        Discard
      </button>
    </div>
  );
}
