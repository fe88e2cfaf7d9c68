import { useCallback } from "react";
import { getAuthConfig } from "../api/auth";
import { useAsync } from "../lib/useAsync";

/** Whether the server can mail a reset link ("Forgot your password?"); false until it has said (or if it cannot). */
export function usePasswordResetByEmail(): boolean {
  const { data: config } = useAsync(useCallback((signal: AbortSignal) => getAuthConfig(signal), []));
  return config?.password_reset_by_email ?? false;
}
