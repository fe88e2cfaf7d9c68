import { useAuthConfig } from "../auth/serverConfig";

/**
 * The name shown until the server has said its own (STREAMSTACK_SITE_NAME in its config):
 * the software's, as index.html's static title has it.
 */
export const SOFTWARE_NAME = "StreamStack";

/** The server's name ("Herons Film Club"), as its public config says, or the software's until it is read: the header's brand and every tab title. */
export function useSiteName(): string {
  return useAuthConfig()?.site_name ?? SOFTWARE_NAME;
}
