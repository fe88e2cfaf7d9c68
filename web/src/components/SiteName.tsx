import type { ReactNode } from "react";
import { useAuthConfig } from "../auth/useAuthConfig";
import { SiteNameContext, SOFTWARE_NAME, useSiteName } from "../lib/siteName";

/**
 * Reads the server's name from its public config once, at start, for the whole app: the
 * header's brand and the tab titles say it (index.html's static "StreamStack" is replaced
 * as soon as a page titles the tab).
 */
export function SiteNameProvider({ children }: { children: ReactNode }) {
  const name = useAuthConfig()?.site_name ?? SOFTWARE_NAME;
  return <SiteNameContext value={name}>{children}</SiteNameContext>;
}

/** The tab's title: the page's own, then the server's name ("Browse · Herons Film Club"). */
export function PageTitle({ title }: { title: string }) {
  return <title>{`${title} · ${useSiteName()}`}</title>;
}
