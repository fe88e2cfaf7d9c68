import {
  createContext,
  useCallback,
  useEffect,
  useMemo,
  useState,
  type Dispatch,
  type ReactNode,
  type SetStateAction,
} from "react";
import * as authApi from "../api/auth";
import { login as apiLogin, endSession, restoreSession } from "../api/client";
import type { RegisterRequest, UserView } from "../api/schema";
import { hasSessionMarker, setSignedInUserId } from "../api/session";
import { subscribeToken } from "../api/tokenStore";
import { forgetDrafts } from "../lib/draftStore";
import { useStillsPassRenewal } from "./stillsPass";

export type AuthStatus = "loading" | "authenticated" | "anonymous";
/**
 * How a session ended: signed out here on purpose, or (the sign-in page's reason) without the
 * user signing out: it expired or was revoked, or the account was deleted.
 */
export type SessionEnd = "signed-out" | "session-ended" | "account-deleted";

export interface AuthContextValue {
  status: AuthStatus;
  user: UserView | null;
  /**
   * How the session this browser had ended: signed out here, or without the user signing
   * out (it expired or was revoked, or they deleted their account in this tab), which pages
   * say instead of showing a bare sign-in form.
   */
  ended: SessionEnd | null;
  /** Signs in; `code` is the authenticator app's (or a recovery code), once the server asked for one. */
  signIn: (email: string, password: string, code?: string) => Promise<UserView>;
  register: (input: RegisterRequest) => Promise<UserView>;
  signOut: () => Promise<void>;
  signOutEverywhere: () => Promise<void>;
  /** Deletes the account (its password proves it is theirs); every session ends, this one too. */
  deleteAccount: (password: string) => Promise<void>;
  /** The signed-in user changed (a new display name): show the server's answer. */
  updateUser: (user: UserView) => void;
}

export const AuthContext = createContext<AuthContextValue | null>(null);

interface State {
  status: AuthStatus;
  user: UserView | null;
  ended: SessionEnd | null;
}

const SIGNED_OUT: State = { status: "anonymous", user: null, ended: null };
/** Signed out on purpose: the page the user was on sends them to sign in with no reason to give. */
const SIGNED_OUT_HERE: State = { ...SIGNED_OUT, ended: "signed-out" };

/**
 * Owns the signed-in user. On mount it restores the session through the
 * refresh cookie when this browser has one (and asks nothing otherwise);
 * protected routes wait for that before redirecting.
 */
export function AuthProvider({ children }: { children: ReactNode }) {
  // setState is React's own (stable): listing it below changes no callback.
  const [state, setState] = useSessionState();
  useStillsPassRenewal(state.user?.role === "admin");
  const userId = state.user?.id;
  // A draft kept when a session ended is its user's alone: whoever signs in on this tab
  // next drops any other's.
  useEffect(() => {
    if (userId) forgetDrafts(userId);
    // Whose change a request makes, for the client to say it was lost if the session ends.
    setSignedInUserId(userId ?? null);
  }, [userId]);

  const signIn = useCallback(async (email: string, password: string, code?: string) => {
    await apiLogin(email, password, code);
    const user = await authApi.getMe();
    setState({ status: "authenticated", user, ended: null });
    return user;
  }, [setState]);

  const register = useCallback(
    async (input: RegisterRequest) => {
      await authApi.register(input);
      return signIn(input.email, input.password);
    },
    [signIn],
  );

  const { signOut, signOutEverywhere, deleteAccount } = useSignOuts(setState);

  const updateUser = useCallback((user: UserView) => {
    setState((s) => (s.status === "authenticated" ? { ...s, user } : s));
  }, [setState]);

  const value = useMemo<AuthContextValue>(
    () => ({ ...state, signIn, register, signOut, signOutEverywhere, deleteAccount, updateUser }),
    [state, signIn, register, signOut, signOutEverywhere, deleteAccount, updateUser],
  );

  return <AuthContext value={value}>{children}</AuthContext>;
}

/**
 * The ways the user ends their session here: nothing to report after, and no unsaved edit of
 * theirs kept for a next sign-in (a session that ends under them keeps it: see useSessionDraft).
 */
function useSignOuts(setState: Dispatch<SetStateAction<State>>) {
  const endedHere = useCallback((next: State) => {
    endSession();
    forgetDrafts();
    // After the token listener's update, which took this for a session that ended by itself.
    setState(next);
  }, [setState]);

  const signOut = useCallback(async () => {
    try {
      await authApi.logout();
    } catch {
      // Signing out locally must work even if the server is unreachable.
    } finally {
      endedHere(SIGNED_OUT_HERE);
    }
  }, [endedHere]);

  const signOutEverywhere = useCallback(async () => {
    await authApi.logoutAll();
    endedHere(SIGNED_OUT_HERE);
  }, [endedHere]);

  const deleteAccount = useCallback(async (password: string) => {
    await authApi.deleteAccount(password);
    endedHere({ ...SIGNED_OUT, ended: "account-deleted" });
  }, [endedHere]);

  return { signOut, signOutEverywhere, deleteAccount };
}

/** The role an access token grants (its payload's `role` claim), or null when it cannot be read. */
function roleOf(token: string): UserView["role"] | null {
  try {
    const payload = token.split(".")[1] ?? "";
    const claims: unknown = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/")));
    const role = (claims as { role?: unknown }).role;
    return role === "admin" || role === "viewer" ? role : null;
  } catch {
    return null;
  }
}

/**
 * Who is signed in: "loading" while a session this browser had is restored
 * (nothing is asked when it had none), then signed in or out; signed out, and
 * told so, whenever the client drops the token after a refused refresh.
 */
function useSessionState(): [State, Dispatch<SetStateAction<State>>] {
  const [state, setState] = useState<State>(() =>
    hasSessionMarker() ? { status: "loading", user: null, ended: null } : SIGNED_OUT,
  );

  useEffect(() => {
    let active = true;
    // The client drops the token when a refresh is refused (the session
    // expired or was revoked): from then on the UI is signed out.
    const unsubscribe = subscribeToken((token) => {
      if (!active) return;
      if (token === null) {
        setState((s) => (s.status === "anonymous" ? s : { ...SIGNED_OUT, ended: "session-ended" }));
        return;
      }
      // A renewed token carries the role as it is now: an admin made a viewer (or the
      // other way) loses (or gains) the admin pages at once, not at the next full load.
      const role = roleOf(token);
      setState((s) => (s.user && role && s.user.role !== role ? { ...s, user: { ...s.user, role } } : s));
    });
    const hadSession = hasSessionMarker();
    restoreSession()
      .then((token) => (token === null ? null : authApi.getMe()))
      .then(
        (user) => {
          if (!active) return;
          setState(user ? { status: "authenticated", user, ended: null } : { ...SIGNED_OUT, ended: hadSession ? "session-ended" : null });
        },
        () => {
          if (active) setState({ ...SIGNED_OUT, ended: hadSession ? "session-ended" : null });
        },
      );
    return () => {
      active = false;
      unsubscribe();
    };
  }, []);

  return [state, setState];
}
