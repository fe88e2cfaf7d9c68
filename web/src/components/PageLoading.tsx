/** A page whose one thing (a video) is loading: said in the tab's title too. */
export function PageLoading() {
  return (
    <p className="status-line" role="status">
      <title>Loading… · StreamStack</title>
      Loading…
    </p>
  );
}
