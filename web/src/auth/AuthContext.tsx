import { createContext, useCallback, useEffect, useMemo, useState, type ReactNode } from "react";
import * as authApi from "../api/auth";
import { login as apiLogin, refreshAccessToken } from "../api/client";
import { clearAccessToken, subscribeToken } from "../api/tokenStore";
import type { User } from "../api/types";

export type AuthStatus = "loading" | "authenticated" | "anonymous";

export interface AuthContextValue {
  status: AuthStatus;
  user: User | null;
  signIn: (email: string, password: string) => Promise<User>;
  register: (input: { email: string; password: string; display_name?: string }) => Promise<User>;
  signOut: () => Promise<void>;
  signOutEverywhere: () => Promise<void>;
}

export const AuthContext = createContext<AuthContextValue | null>(null);

interface State {
  status: AuthStatus;
  user: User | null;
}

/**
 * Owns the signed-in user. On mount it restores the session silently via the
 * refresh cookie; protected routes wait for that before redirecting.
 */
export function AuthProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<State>({ status: "loading", user: null });

  useEffect(() => {
    let active = true;
    // The token store drops the token when a refresh fails (session revoked
    // or expired): treat that as signed out everywhere in the UI.
    const unsubscribe = subscribeToken((token) => {
      if (token === null && active) setState({ status: "anonymous", user: null });
    });
    refreshAccessToken()
      .then((token) => (token === null ? null : authApi.getMe()))
      .then(
        (user) => {
          if (active) setState(user ? { status: "authenticated", user } : { status: "anonymous", user: null });
        },
        () => {
          if (active) setState({ status: "anonymous", user: null });
        },
      );
    return () => {
      active = false;
      unsubscribe();
    };
  }, []);

  const signIn = useCallback(async (email: string, password: string) => {
    await apiLogin(email, password);
    const user = await authApi.getMe();
    setState({ status: "authenticated", user });
    return user;
  }, []);

  const register = useCallback(
    async (input: { email: string; password: string; display_name?: string }) => {
      await authApi.register(input);
      return signIn(input.email, input.password);
    },
    [signIn],
  );

  const signOut = useCallback(async () => {
    try {
      await authApi.logout();
    } catch {
      // Signing out locally must work even if the server is unreachable.
    } finally {
      clearAccessToken();
      setState({ status: "anonymous", user: null });
    }
  }, []);

  const signOutEverywhere = useCallback(async () => {
    await authApi.logoutAll();
    clearAccessToken();
    setState({ status: "anonymous", user: null });
  }, []);

  const value = useMemo<AuthContextValue>(
    () => ({ ...state, signIn, register, signOut, signOutEverywhere }),
    [state, signIn, register, signOut, signOutEverywhere],
  );

  return <AuthContext value={value}>{children}</AuthContext>;
}
