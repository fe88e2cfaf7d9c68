/**
 * A list of videos (Browse, the library) that its search or filters left empty, told apart from
 * an empty list: the library told an admin searching it to upload a video. `hint` says what the
 * filters mean, when they say more than "nothing matches"; `onClear` shows every video again.
 */
export function NoMatchingVideos({ hint, onClear }: { hint?: string; onClear: () => void }) {
  return (
    <div className="empty" data-testid="empty-state">
      <h2>No videos found</h2>
      {hint && <p>{hint}</p>}
      <p>
        Try another search or{" "}
        <button type="button" className="link-button" onClick={onClear}>
          clear the filters
        </button>
        .
      </p>
    </div>
  );
}
