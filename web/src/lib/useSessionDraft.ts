import { useEffect, useRef, useState } from "react";
import { getAccessToken, subscribeToken } from "../api/tokenStore";
import { useSignedInUserId } from "../auth/useAuth";
import { draftKey, forgetDraft, hasDraft, keepDraft, readDraft, type DraftFields, type DraftOf, type KeptDraft } from "./draftStore";

/**
 * A form showing text the server does not have, and why: a draft restored after signing in
 * again (`signed-out`), or a save refused because someone changed the item meanwhile
 * (`changed-elsewhere`, see `changedElsewhere`).
 */
export interface RestoredDraft<T extends DraftFields> {
  cause: "signed-out" | "changed-elsewhere";
  /** The fields both the server (meanwhile) and this form changed: Save replaces those. */
  changedOnServer: (keyof T & string)[];
  /** The server's values now, to show what Save would replace. */
  server: T;
  /** The fields of a refused save that were saved all the same: no one else had changed them. */
  saved: (keyof T & string)[];
}

export interface SessionDraft<T extends DraftFields> {
  /** What the form shows: the server's values, what was typed since, or a restored draft. */
  values: T;
  change: (field: keyof T & string, value: string) => void;
  /** Set while the form shows a draft kept when the session ended, or refused; null otherwise. */
  restored: RestoredDraft<T> | null;
  /** The server's values again, and the kept draft forgotten. */
  discard: () => void;
  /** The server's values the form (or its draft's form) opened with. */
  base: T;
  /** The fields changed since the form opened (or since a draft's form opened), as typed. */
  changes: Partial<T>;
  /** Whether something typed would be lost if the form went: `changes` is not empty. */
  dirty: boolean;
  /**
   * A save was refused: the item changed on the server (`server`, its values now) since the
   * form opened. The form keeps what was typed and says which of its changes Save replaces;
   * the `saved` fields (saved on top of the other change) show the server's values.
   */
  changedElsewhere: (server: T, saved?: (keyof T & string)[]) => void;
}

interface DraftState<T extends DraftFields> extends KeptDraft<T> {
  restored: RestoredDraft<T> | null;
}

function changedFields<T extends DraftFields>({ base, values }: KeptDraft<T>): (keyof T & string)[] {
  return Object.keys(values).filter((field) => values[field] !== base[field]);
}

function isDirty<T extends DraftFields>(draft: KeptDraft<T>): boolean {
  return changedFields(draft).length > 0;
}

/**
 * `draft` shown over the server's values `server`: the fields both changed since the draft's
 * form opened. Compared with what the draft started from, not with the draft: a change made
 * elsewhere meanwhile must be told, not silently overwritten by Save (the fields only the
 * server changed are kept, since Save sends only the form's own changes).
 */
function over<T extends DraftFields>(draft: KeptDraft<T>, server: T, cause: RestoredDraft<T>["cause"]): RestoredDraft<T> {
  const changedOnServer = changedFields(draft).filter((field) => draft.base[field] !== server[field]);
  return { cause, changedOnServer, server, saved: [] };
}

/** `state` once its `saved` fields are saved: the form shows them as the server has them now. */
function refused<T extends DraftFields>(state: DraftState<T>, server: T, saved: (keyof T & string)[]): DraftState<T> {
  const now = Object.fromEntries(saved.map((field) => [field, server[field]]));
  const next = { ...state, base: { ...state.base, ...now }, values: { ...state.values, ...now } };
  return { ...next, restored: { ...over(next, server, "changed-elsewhere"), saved } };
}

function startFrom<T extends DraftFields>(key: string | null, server: T): DraftState<T> {
  const kept = key === null ? null : readDraft(key, server);
  if (!kept) return { base: server, values: server, restored: null };
  return { ...kept, restored: over(kept, server, "signed-out") };
}

/**
 * The values of an edit form (`server`: the item's values as the server has them) that
 * outlive the session ending under it. When the session ends (expired, revoked elsewhere)
 * while the form holds unsaved changes, they are kept in this tab for the signed-in user;
 * signed in again, the same form opens with them (`restored`). A form closed while signed
 * in (saved, cancelled, left) forgets its draft; so does Discard.
 */
export function useSessionDraft<T extends DraftFields>(of: DraftOf, server: T): SessionDraft<T> {
  const userId = useSignedInUserId();
  const key = userId === null ? null : draftKey(userId, of);
  const [state, setState] = useState(() => startFrom(key, server));
  // The listener below reads the draft as it is when the session ends, not as it was when it subscribed.
  const latest = useRef(state);
  useEffect(() => {
    latest.current = state;
  });

  useEffect(() => {
    if (key === null) return;
    // The client drops the token when the session cannot be refreshed, before the page
    // goes to sign-in and this form with it.
    const unsubscribe = subscribeToken((token) => {
      if (token === null && isDirty(latest.current)) keepDraft(key, latest.current);
    });
    return () => {
      unsubscribe();
      if (getAccessToken() !== null) forgetDraft(key);
    };
  }, [key]);

  const changed = changedFields(state);
  return {
    values: state.values,
    change: (field, value) => setState((s) => ({ ...s, values: { ...s.values, [field]: value } })),
    restored: state.restored,
    discard: () => {
      if (key !== null) forgetDraft(key);
      setState({ base: server, values: server, restored: null });
    },
    base: state.base,
    changes: Object.fromEntries(changed.map((field) => [field, state.values[field]])) as Partial<T>,
    dirty: changed.length > 0,
    changedElsewhere: (now, saved = []) => setState((s) => refused(s, now, saved)),
  };
}

/** Whether a draft of `of` waits for the signed-in user: its form opens by itself to show it. */
export function useKeptDraft(of: DraftOf): boolean {
  const userId = useSignedInUserId();
  const [kept] = useState(() => userId !== null && hasDraft(draftKey(userId, of)));
  return kept;
}
