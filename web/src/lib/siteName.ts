import { createContext, useContext } from "react";

/**
 * The name shown until the server has said its own (STREAMSTACK_SITE_NAME in its config):
 * the software's, as index.html's static title has it.
 */
export const SOFTWARE_NAME = "StreamStack";

/** The server's name, as its public config says: the header's brand and every tab title. */
export const SiteNameContext = createContext(SOFTWARE_NAME);

/** The server's name ("Herons Film Club"), or the software's until the config is read. */
export function useSiteName(): string {
  return useContext(SiteNameContext);
}
