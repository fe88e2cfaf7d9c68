// Whether this browser holds a refresh cookie. The cookie is HttpOnly, so
// JavaScript cannot see it; this flag in localStorage (no secret: just "1")
// is set when a sign-in or refresh succeeds and removed when the session
// ends. Without it, a first visit would ask the server to refresh a session
// that does not exist and log a 401 on every anonymous page load.
const KEY = "streamstack.session";

export function hasSessionMarker(): boolean {
  try {
    return localStorage.getItem(KEY) === "1";
  } catch {
    return false; // storage disabled: behave as a first visit
  }
}

export function setSessionMarker(present: boolean): void {
  try {
    if (present) localStorage.setItem(KEY, "1");
    else localStorage.removeItem(KEY);
  } catch {
    // storage disabled: the next load simply starts signed out
  }
}

let signedIn: string | null = null;

/** The id of the user signed in in this tab (the auth provider says), or null. */
export function signedInUserId(): string | null {
  return signedIn;
}

export function setSignedInUserId(id: string | null): void {
  signedIn = id;
}
