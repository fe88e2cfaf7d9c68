import { PageTitle } from "./SiteName";

/** "Loading…" in a line of its own, told to a screen reader: a page whose title is said already. */
export function LoadingLine() {
  return (
    <p className="status-line" role="status">
      Loading…
    </p>
  );
}

/** A page whose one thing (a video) is loading: said in the tab's title too. */
export function PageLoading() {
  return (
    <>
      <PageTitle title="Loading…" />
      <LoadingLine />
    </>
  );
}
