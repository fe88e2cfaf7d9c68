import { useCallback } from "react";
import { getAuthConfig } from "../api/auth";
import { useAsync } from "../lib/useAsync";

/** Whether the server sends mail (invites, reset links, security notices); false until it has said (or if it cannot). */
export function useMailOn(): boolean {
  const { data: config } = useAsync(useCallback((signal: AbortSignal) => getAuthConfig(signal), []));
  return config?.mail ?? false;
}
