import { createContext, useContext } from "react";
import type { AuthConfig } from "../api/schema";

/**
 * The server's public configuration as GuestPage read it, for the page inside it: null
 * outside a GuestPage, or when the config could not be read.
 */
export const GuestConfigContext = createContext<AuthConfig | null>(null);

/** Whether signed-out visitors may browse this server: false unless its config says so. */
export function useGuestsMayBrowse(): boolean {
  const config = useContext(GuestConfigContext);
  return config !== null && config.guest_access !== "none";
}
