import { useEffect, useRef, useState } from "react";
import { getAccessToken, subscribeToken } from "../api/tokenStore";
import { useSignedInUserId } from "../auth/useAuth";
import { draftKey, forgetDraft, hasDraft, keepDraft, readDraft, type DraftFields, type DraftOf, type KeptDraft } from "./draftStore";

/** A draft restored after signing in again: which fields the server changed meanwhile. */
export interface RestoredDraft<T extends DraftFields> {
  changedOnServer: (keyof T & string)[];
}

export interface SessionDraft<T extends DraftFields> {
  /** What the form shows: the server's values, what was typed since, or a restored draft. */
  values: T;
  change: (field: keyof T & string, value: string) => void;
  /** Set while the form shows a draft kept when the session ended; null otherwise. */
  restored: RestoredDraft<T> | null;
  /** The server's values again, and the kept draft forgotten. */
  discard: () => void;
}

interface DraftState<T extends DraftFields> extends KeptDraft<T> {
  restored: RestoredDraft<T> | null;
}

function isDirty<T extends DraftFields>({ base, values }: KeptDraft<T>): boolean {
  return Object.keys(values).some((field) => values[field] !== base[field]);
}

function startFrom<T extends DraftFields>(key: string | null, server: T): DraftState<T> {
  const kept = key === null ? null : readDraft(key, server);
  if (!kept) return { base: server, values: server, restored: null };
  // Compared with what the draft started from, not with the draft: a change made elsewhere
  // meanwhile must be told, not silently overwritten by Save.
  const changedOnServer = Object.keys(server).filter((field) => kept.base[field] !== server[field]);
  return { ...kept, restored: { changedOnServer } };
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

  return {
    values: state.values,
    change: (field, value) => setState((s) => ({ ...s, values: { ...s.values, [field]: value } })),
    restored: state.restored,
    discard: () => {
      if (key !== null) forgetDraft(key);
      setState({ base: server, values: server, restored: null });
    },
  };
}

/** Whether a draft of `of` waits for the signed-in user: its form opens by itself to show it. */
export function useKeptDraft(of: DraftOf): boolean {
  const userId = useSignedInUserId();
  const [kept] = useState(() => userId !== null && hasDraft(draftKey(userId, of)));
  return kept;
}
