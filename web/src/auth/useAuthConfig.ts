import { useCallback } from "react";
import { getAuthConfig } from "../api/auth";
import type { AuthConfig } from "../api/schema";
import { useAsync } from "../lib/useAsync";

/**
 * The accounts' public configuration (how registration works, whether the server sends
 * mail); null until the server has said (or if it cannot), so callers assume the least.
 */
export function useAuthConfig(): AuthConfig | null {
  const { data } = useAsync(useCallback((signal: AbortSignal) => getAuthConfig(signal), []));
  return data ?? null;
}
