import {
  createContext,
  useCallback,
  useEffect,
  useMemo,
  useRef,
  useState,
  type Dispatch,
  type ReactNode,
  type SetStateAction,
} from "react";
import * as authApi from "../api/auth";
import { login as apiLogin, endSession, restoreSession } from "../api/client";
import { ApiError, serverTrouble, unanswered, waitMs } from "../api/errors";
import type { RegisterRequest, UserView } from "../api/schema";
import { hasSessionMarker, setSignedInUserId } from "../api/session";
import { subscribeToken } from "../api/tokenStore";
import { forgetDrafts } from "../lib/draftStore";
import { useStillsPassRenewal } from "./stillsPass";

export type AuthStatus = "loading" | "authenticated" | "anonymous";
/**
 * How a session ended: signed out here on purpose (the server said so; or, the sign-in page's
 * reason, it signed the session out but could not revoke its access token at once, or it could
 * not be told), or without the user signing out: it expired or was revoked, or the account was
 * deleted.
 */
export type SessionEnd =
  | "signed-out"
  | "signed-out-in-part"
  | "signed-out-everywhere-in-part"
  | "signed-out-unconfirmed"
  | "session-ended"
  | "account-deleted";

export interface AuthContextValue {
  status: AuthStatus;
  user: UserView | null;
  /**
   * How the session this browser had ended: signed out here, or without the user signing
   * out (it expired or was revoked, or they deleted their account in this tab), which pages
   * say instead of showing a bare sign-in form.
   */
  ended: SessionEnd | null;
  /**
   * Why the session this browser had could not be checked on load (the server did not answer:
   * 5xx, 429, no connection), while status stays "loading": the session is kept, not ended.
   */
  unchecked: ApiError | null;
  /** Checks the session again at once, after `unchecked` (it is checked again by itself too, later). */
  checkAgain: () => void;
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
  unchecked?: ApiError | null;
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
  const [state, setState, checkAgain] = useSessionState();
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
    () => ({
      ...state,
      unchecked: state.unchecked ?? null,
      checkAgain,
      signIn,
      register,
      signOut,
      signOutEverywhere,
      deleteAccount,
      updateUser,
    }),
    [state, checkAgain, signIn, register, signOut, signOutEverywhere, deleteAccount, updateUser],
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
    let ended = SIGNED_OUT_HERE;
    try {
      await authApi.logout();
    } catch (error) {
      // Signing out locally must work even if the server is unreachable; the sign-in page
      // then says what the server did.
      ended = { ...SIGNED_OUT, ended: signOutRefused(error) };
    } finally {
      endedHere(ended);
    }
  }, [endedHere]);

  const signOutEverywhere = useCallback(async () => {
    try {
      await authApi.logoutAll();
    } catch (error) {
      // Signed out everywhere in part: the sign-in page says so. Any other refusal changed
      // nothing on the server, so this device stays signed in and the page says the error.
      if (!(error instanceof ApiError && error.code === "sign_out_incomplete")) throw error;
      endedHere({ ...SIGNED_OUT, ended: "signed-out-everywhere-in-part" });
      return;
    }
    endedHere(SIGNED_OUT_HERE);
  }, [endedHere]);

  const deleteAccount = useCallback(async (password: string) => {
    await authApi.deleteAccount(password);
    endedHere({ ...SIGNED_OUT, ended: "account-deleted" });
  }, [endedHere]);

  return { signOut, signOutEverywhere, deleteAccount };
}

/**
 * How a sign-out the server refused ended: signed out all the same when the session had ended
 * already (401, 403); signed out on the server in part (`sign_out_incomplete`: the session
 * cannot be renewed, its access token works a few minutes more); else not signed out there.
 */
function signOutRefused(error: unknown): SessionEnd {
  if (error instanceof ApiError && (error.status === 401 || error.status === 403)) return "signed-out";
  return error instanceof ApiError && error.code === "sign_out_incomplete" ? "signed-out-in-part" : "signed-out-unconfirmed";
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
 * told so, whenever the client drops the token after a refused refresh. A server that
 * does not answer (5xx, 429, no connection) ends no session: it stays "loading", with
 * why (`unchecked`), and is checked again by itself (see useSessionCheck) or at once by the
 * third value (Try again).
 */
function useSessionState(): [State, Dispatch<SetStateAction<State>>, () => void] {
  const [state, setState] = useState<State>(() =>
    hasSessionMarker() ? { status: "loading", user: null, ended: null } : SIGNED_OUT,
  );

  useEffect(
    () =>
      // The client drops the token when a refresh is refused (the session
      // expired or was revoked): from then on the UI is signed out.
      subscribeToken((token) => {
        if (token === null) {
          setState((s) => (s.status === "anonymous" ? s : { ...SIGNED_OUT, ended: "session-ended" }));
          return;
        }
        // A renewed token carries the role as it is now: an admin made a viewer (or the
        // other way) loses (or gains) the admin pages at once, not at the next full load.
        const role = roleOf(token);
        setState((s) => (s.user && role && s.user.role !== role ? { ...s, user: { ...s.user, role } } : s));
      }),
    [],
  );

  const checkAgain = useSessionCheck(setState);
  return [state, setState, checkAgain];
}

/** The first wait (s) before the session is checked again when the server did not answer. */
const RECHECK_FIRST_S = 2;
/** The longest wait (s) between checks: a server back is noticed within a minute. */
const RECHECK_MAX_S = 60;

/**
 * Restores the session this browser had (when it had one), and checks it again while the
 * server does not answer: after its Retry-After, else a wait that doubles from
 * `RECHECK_FIRST_S`, at most `RECHECK_MAX_S`, until it answers. Gives the way to check again
 * at once (Try again), which starts the waits over.
 */
function useSessionCheck(setState: Dispatch<SetStateAction<State>>): () => void {
  const [check, setCheck] = useState(0);
  // The checks unanswered since the page loaded or Try again was pressed: each waits longer.
  const unansweredChecks = useRef(0);
  const checkAgain = useCallback(() => {
    unansweredChecks.current = 0;
    setCheck((n) => n + 1);
  }, []);

  useEffect(() => {
    let active = true;
    let recheck: ReturnType<typeof setTimeout> | undefined;
    const hadSession = hasSessionMarker();
    const ended: State = { ...SIGNED_OUT, ended: hadSession ? "session-ended" : null };
    restoreSession()
      .then((token) => (token === null ? null : authApi.getMe()))
      .then(
        (user) => {
          if (active) setState(user ? { status: "authenticated", user, ended: null } : ended);
        },
        (error: unknown) => {
          if (!active) return;
          const away = serverTrouble(error) || unanswered(error);
          setState(away ? { status: "loading", user: null, ended: null, unchecked: error } : ended);
          if (!away) return;
          const otherwise = RECHECK_FIRST_S * 2 ** Math.min(unansweredChecks.current++, 10);
          recheck = setTimeout(() => setCheck((n) => n + 1), waitMs(error.retryAfter, otherwise, RECHECK_MAX_S));
        },
      );
    return () => {
      active = false;
      clearTimeout(recheck);
    };
  }, [check, setState]);

  return checkAgain;
}
