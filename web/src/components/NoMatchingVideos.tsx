/**
 * What a search of several words found nothing for: the search finds videos holding every word,
 * and people used to web search type OR and -word, which it reads as words too. None for one word.
 */
export function everyWordHint(query: string | undefined): string | undefined {
  const words = (query ?? "").trim().split(/\s+/).filter(Boolean);
  if (words.length < 2 && !words.some((word) => word.startsWith("-"))) return undefined;
  const operators = words.some((word) => word === "OR" || word.startsWith("-"));
  return (
    "Only videos with every word you typed (in the title, description or tags) are shown: try fewer words." +
    (operators ? " OR and -word are searched as words too." : "")
  );
}

/**
 * A list of videos (Browse, the library) that its search or filters left empty, told apart from
 * an empty list: the library told an admin searching it to upload a video. `hint` says what the
 * filters mean, when they say more than "nothing matches" (by default, what a search of several
 * words asks: {@link everyWordHint}); `onClear` shows every video again.
 */
export function NoMatchingVideos({ hint, query, onClear }: { hint?: string; query?: string; onClear: () => void }) {
  const shown = hint ?? everyWordHint(query);
  return (
    <div className="empty" data-testid="empty-state">
      <h2>No videos found</h2>
      {shown && <p>{shown}</p>}
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
