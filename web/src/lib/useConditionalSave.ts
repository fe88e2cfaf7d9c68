import { useState } from "react";
import { ApiError } from "../api/errors";
import type { DraftFields } from "./draftStore";
import type { SessionDraft } from "./useSessionDraft";

/** How an edit form saves what it edits (a video, a playlist), and reads it again. */
export interface ConditionalSaving<F extends DraftFields, E extends Partial<Record<keyof F, unknown>>, S, R> {
  /** The edit, made only if the record's etag is still `ifMatch` (sent as If-Match). */
  update: (edit: E, ifMatch: string | undefined) => Promise<S>;
  /** The record as the server has it now, with its etag. */
  reread: () => Promise<R>;
  /** What the form's fields show of the record. */
  fieldsOf: (record: R) => F;
  onSaved: (saved: S) => void;
  /** The record read again after a save was refused. */
  onChanged: (record: R) => void;
}

/**
 * Saving an edit form's changes on the condition that the record is as the form read it (its
 * `etag`, sent as If-Match): two tabs or two people editing one record never silently undo
 * each other. Refused because someone changed it meanwhile (412 `changed_elsewhere`), the
 * record is read again: when they changed other fields than the form did, the save is made on
 * top of theirs at once; when some of the same, the others are saved on top of theirs and
 * the form keeps what was typed in the clashing ones and says what changed
 * (`changedElsewhere`), and Save again replaces their change. `edit` holds only the fields
 * the form changed (named as the form's fields), so a field sent unchanged cannot put back
 * another's change.
 */
export function useConditionalSave<F extends DraftFields, E extends Partial<Record<keyof F, unknown>>, S, R extends { etag?: string }>(
  etagRead: string | undefined,
  draft: SessionDraft<F>,
  saving: ConditionalSaving<F, E, S, R>,
): (edit: E) => Promise<void> {
  const [etag, setEtag] = useState(etagRead);

  async function send(edit: E, readAs: string | undefined, retried = false): Promise<void> {
    try {
      saving.onSaved(await saving.update(edit, readAs));
    } catch (error) {
      if (!(error instanceof ApiError && error.code === "changed_elsewhere")) throw error;
      let now = await saving.reread();
      const edited = Object.keys(edit) as (keyof F & string)[];
      const clashing = new Set(edited.filter((field) => saving.fieldsOf(now)[field] !== draft.base[field]));
      if (clashing.size === 0 && !retried) {
        saving.onChanged(now);
        setEtag(now.etag);
        return send(edit, now.etag, true);
      }
      const others = clashing.size === 0 ? [] : edited.filter((field) => !clashing.has(field));
      if (others.length > 0) {
        // A change to fields no one else changed is saved on top of theirs (README), the clash alone held back.
        await saving.update(Object.fromEntries(others.map((field) => [field, edit[field]])) as E, now.etag);
        now = await saving.reread();
      }
      saving.onChanged(now);
      setEtag(now.etag);
      draft.changedElsewhere(saving.fieldsOf(now), others);
    }
  }

  return (edit: E) => send(edit, etag);
}
