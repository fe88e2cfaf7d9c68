import type { ReactNode } from "react";
import { Navigate, useLocation } from "react-router";
import { useAuthConfig, useServerConfigSettled } from "./serverConfig";
import { useAuth } from "./useAuth";
import type { SessionEnd } from "./AuthContext";

/** Why the visitor was sent to sign in; the sign-in page says it. */
export type SignInReason = "watch" | "required" | Exclude<SessionEnd, "signed-out">;

export interface RedirectState {
  from?: string;
  reason?: SignInReason;
}

/**
 * Where a visitor goes once signed in or registered: the page they were sent
 * away from (`state.from`), else Browse. Passed along between the sign-in and
 * registration pages, so an account made on the way still leads there.
 */
export function redirectTarget(state: unknown): string {
  const from = (state as RedirectState | null)?.from;
  return typeof from === "string" && from.startsWith("/") && !from.startsWith("/signin") ? from : "/";
}

/** Sign-in's way back to this page (its path, query and fragment), with `reason` if given. */
export function useReturnHere(reason?: SignInReason): RedirectState {
  const location = useLocation();
  return { from: `${location.pathname}${location.search}${location.hash}`, ...(reason && { reason }) };
}

export const SIGN_IN_REASONS: Record<SignInReason, string> = {
  watch: "Sign in to watch.",
  "session-ended": "Your session ended. Sign in again to continue.",
  required: "Sign in to continue.",
  "account-deleted": "Your account was deleted.",
  "signed-out-in-part":
    "You are signed out. Part of the server was not answering, so it takes full effect within a few minutes.",
  "signed-out-everywhere-in-part":
    "You are signed out on every device. Part of the server was not answering, so it takes full effect within a few minutes.",
  "signed-out-unconfirmed":
    "You are signed out on this device, but the server could not confirm it. If this is a shared computer, sign in and sign out again in a moment.",
};

function Pending() {
  return (
    <p className="status-line" role="status" aria-live="polite">
      Loading…
    </p>
  );
}

/**
 * Waits for the silent refresh on load (a server that does not answer it is said above every
 * page, with Try again: see Layout), then redirects anonymous users to /signin, saying why.
 */
export function RequireAuth({ children }: { children: ReactNode }) {
  const { status, ended, unchecked } = useAuth();
  const location = useLocation();
  const sentAway = location.pathname.startsWith("/watch/") ? "watch" : "required";
  const reason: SignInReason = ended && ended !== "signed-out" ? ended : sentAway;
  const state = useReturnHere(reason);
  if (status === "loading") return unchecked ? null : <Pending />;
  if (status === "anonymous") {
    // Signed out on purpose (Account's Sign out): nothing to explain. It said "Sign in to
    // continue.", as if the session had ended by itself.
    if (ended === "signed-out") return <Navigate to="/signin" replace />;
    return <Navigate to="/signin" replace state={state} />;
  }
  return children;
}

/**
 * A page a signed-out visitor may see (Browse) unless the server is members only
 * (`guest_access: "none"` in its config): there it is RequireAuth's, which sends them to
 * sign in with the way back. The page waits for the config alone, and stays mounted as a
 * session starts or ends; a config that cannot be read leaves the page to the server,
 * which refuses what a guest may not see.
 */
export function GuestPage({ children }: { children: ReactNode }) {
  const config = useAuthConfig();
  if (!useServerConfigSettled()) return <Pending />;
  return config?.guest_access === "none" ? <RequireAuth>{children}</RequireAuth> : children;
}

/** Admin-only content; viewers get a 403 message. Use inside RequireAuth. */
export function RequireAdmin({ children }: { children: ReactNode }) {
  const { user } = useAuth();
  if (user?.role !== "admin") {
    return (
      <section className="page narrow" aria-labelledby="forbidden-title" data-testid="forbidden">
        <h1 id="forbidden-title">403 — Admins only</h1>
        <p>This page is for administrators. Your account does not have access to it.</p>
      </section>
    );
  }
  return children;
}
