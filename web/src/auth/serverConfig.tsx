import { createContext, useCallback, useContext, type ReactNode } from "react";
import { getAuthConfig } from "../api/auth";
import type { AuthConfig } from "../api/schema";
import { useAsync } from "../lib/useAsync";

/** The server's public configuration as read once at start; `settled` once it answered or failed. */
interface ServerConfigState {
  config: AuthConfig | null;
  settled: boolean;
}

const ServerConfigContext = createContext<ServerConfigState>({ config: null, settled: false });

/**
 * Reads the server's public configuration (its name, how registration works, whether it
 * sends mail, whether guests may browse) once for the whole app: the header, the pages and
 * the guest pages' gate read it from here, never asking the server again.
 */
export function ServerConfigProvider({ children }: { children: ReactNode }) {
  const { data, error } = useAsync(useCallback((signal: AbortSignal) => getAuthConfig(signal), []));
  const value = { config: data ?? null, settled: data !== null || error !== null };
  return <ServerConfigContext value={value}>{children}</ServerConfigContext>;
}

/**
 * The server's public configuration; null until the server has said (or if it cannot), so
 * callers assume the least.
 */
export function useAuthConfig(): AuthConfig | null {
  return useContext(ServerConfigContext).config;
}

/** Whether the configuration was read or could not be: a page waiting on it may show. */
export function useServerConfigSettled(): boolean {
  return useContext(ServerConfigContext).settled;
}

/** Whether signed-out visitors may browse this server: false unless its config says so. */
export function useGuestsMayBrowse(): boolean {
  const config = useAuthConfig();
  return config !== null && config.guest_access !== "none";
}
