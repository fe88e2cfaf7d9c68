import type { ReactNode } from "react";
import { Navigate, useLocation } from "react-router";
import { useAuth } from "./useAuth";

export interface RedirectState {
  from?: string;
}

function Pending() {
  return (
    <p className="status-line" role="status" aria-live="polite">
      Loading…
    </p>
  );
}

/** Waits for the silent refresh on load, then redirects anonymous users to /signin. */
export function RequireAuth({ children }: { children: ReactNode }) {
  const { status } = useAuth();
  const location = useLocation();
  if (status === "loading") return <Pending />;
  if (status === "anonymous") {
    const state: RedirectState = { from: `${location.pathname}${location.search}${location.hash}` };
    return <Navigate to="/signin" replace state={state} />;
  }
  return children;
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
