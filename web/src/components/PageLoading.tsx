import { PageTitle } from "./SiteName";

/** A page whose one thing (a video) is loading: said in the tab's title too. */
export function PageLoading() {
  return (
    <p className="status-line" role="status">
      <PageTitle title="Loading…" />
      Loading…
    </p>
  );
}
