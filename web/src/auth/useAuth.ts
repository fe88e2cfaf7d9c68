import { use } from "react";
import { AuthContext, type AuthContextValue } from "./AuthContext";

export function useAuth(): AuthContextValue {
  const value = use(AuthContext);
  if (value === null) throw new Error("useAuth must be used inside <AuthProvider>");
  return value;
}

/**
 * The signed-in user's id; null when signed out, or outside <AuthProvider> (a page
 * rendered alone, as in its own tests), where there is no one to keep anything for.
 */
export function useSignedInUserId(): string | null {
  return use(AuthContext)?.user?.id ?? null;
}
