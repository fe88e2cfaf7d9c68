import { useCallback } from "react";
import { getAuthConfig } from "../api/auth";
import type { AuthConfig } from "../api/schema";
import { useAsync } from "../lib/useAsync";

/** Whether the server's registration is open, by invitation or closed; null until it has said (or if it cannot). */
export function useRegistrationMode(): AuthConfig["registration_mode"] | null {
  const { data: config } = useAsync(useCallback((signal: AbortSignal) => getAuthConfig(signal), []));
  return config?.registration_mode ?? null;
}
