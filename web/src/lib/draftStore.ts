// Unsaved edits kept across the end of a session (see useSessionDraft). sessionStorage,
// since a draft must not outlive the tab; it holds what was typed into an edit form and the
// values that form started from, never a token or a password. Keyed by the user, so that
// someone else signing in on this tab never sees it.
const PREFIX = "streamstack.draft.";

/** What a draft is of: one edit form (the library's video edit, a playlist's rename) of one item, or "New playlist". */
export interface DraftOf {
  form: "item" | "playlist" | "new-playlist";
  id: string;
}

/** A form's fields, each as typed. */
export type DraftFields = Record<string, string>;

/** What was typed (`values`) and the server's values the form started from (`base`). */
export interface KeptDraft<T extends DraftFields> {
  base: T;
  values: T;
}

function userPrefix(userId: string): string {
  return `${PREFIX}${encodeURIComponent(userId)}.`;
}

export function draftKey(userId: string, of: DraftOf): string {
  return `${userPrefix(userId)}${of.form}.${encodeURIComponent(of.id)}`;
}

/** Whether `value` holds a string for each of `shape`'s fields (a stored draft may be of an older form). */
function fitsShape<T extends DraftFields>(value: unknown, shape: T): value is T {
  if (typeof value !== "object" || value === null) return false;
  return Object.keys(shape).every((field) => typeof (value as DraftFields)[field] === "string");
}

/** The draft kept under `key`, when it has the fields of `shape` (the server's values); else null. */
export function readDraft<T extends DraftFields>(key: string, shape: T): KeptDraft<T> | null {
  try {
    const kept = JSON.parse(sessionStorage.getItem(key) ?? "null") as Partial<KeptDraft<T>> | null;
    return kept && fitsShape(kept.base, shape) && fitsShape(kept.values, shape) ? { base: kept.base, values: kept.values } : null;
  } catch {
    return null; // storage disabled or not JSON: nothing to restore
  }
}

export function hasDraft(key: string): boolean {
  try {
    return sessionStorage.getItem(key) !== null;
  } catch {
    return false;
  }
}

export function keepDraft<T extends DraftFields>(key: string, draft: KeptDraft<T>): void {
  try {
    sessionStorage.setItem(key, JSON.stringify(draft));
  } catch {
    // storage disabled or full: the draft is lost, as it was before drafts were kept
  }
}

export function forgetDraft(key: string): void {
  try {
    sessionStorage.removeItem(key);
  } catch {
    // storage disabled: nothing was kept
  }
}

/** Forgets every kept draft but those of `keptFor` (the user signed in now), if given. */
export function forgetDrafts(keptFor?: string): void {
  try {
    const mine = keptFor === undefined ? null : userPrefix(keptFor);
    const keys = Array.from({ length: sessionStorage.length }, (_, i) => sessionStorage.key(i));
    for (const key of keys) {
      if (key?.startsWith(PREFIX) && !(mine !== null && key.startsWith(mine))) sessionStorage.removeItem(key);
    }
  } catch {
    // storage disabled: nothing was kept
  }
}

function lostChangeKey(userId: string): string {
  return `${userPrefix(userId)}lost-change`;
}

/**
 * Notes that a change of `userId`'s was refused because their session had ended (`what`:
 * "creating the playlist “Trips”"), to be said once they have signed in again: the page it
 * was made on went with the session, and nothing said it was not saved.
 */
export function keepLostChange(userId: string, what: string): void {
  try {
    sessionStorage.setItem(lostChangeKey(userId), what);
  } catch {
    // storage disabled: the change goes unsaid, as before
  }
}

/** The lost change noted for `userId`; null when there is none. */
export function readLostChange(userId: string): string | null {
  try {
    return sessionStorage.getItem(lostChangeKey(userId));
  } catch {
    return null;
  }
}

export function forgetLostChange(userId: string): void {
  forgetDraft(lostChangeKey(userId));
}

function recoveryCodesLeftKey(userId: string): string {
  return `${userPrefix(userId)}recovery-codes-left`;
}

/**
 * Notes that `userId` just signed in with a recovery code and has `left` of them, to be said
 * once on the page they land on: a used code is gone, and they may be running out.
 */
export function keepRecoveryCodesLeft(userId: string, left: number): void {
  try {
    sessionStorage.setItem(recoveryCodesLeftKey(userId), String(left));
  } catch {
    // storage disabled: the count goes unsaid
  }
}

/** The recovery codes `userId` had left after signing in with one; null when they did not. */
export function readRecoveryCodesLeft(userId: string): number | null {
  try {
    const left = sessionStorage.getItem(recoveryCodesLeftKey(userId));
    return left === null || !/^\d+$/.test(left) ? null : Number(left);
  } catch {
    return null;
  }
}

export function forgetRecoveryCodesLeft(userId: string): void {
  forgetDraft(recoveryCodesLeftKey(userId));
}
