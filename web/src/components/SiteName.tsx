import { useSiteName } from "../lib/siteName";

/** The tab's title: the page's own, then the server's name ("Browse · Herons Film Club"). */
export function PageTitle({ title }: { title: string }) {
  return <title>{`${title} · ${useSiteName()}`}</title>;
}
