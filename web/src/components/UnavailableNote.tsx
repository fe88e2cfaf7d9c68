/**
 * Entries kept in one of the viewer's lists that cannot be watched now (unpublished, being
 * processed), `where` naming the list ("in this playlist", "in your history"): without it an
 * entry vanished with no word, and an all-hidden list read as empty. A deleted video is gone
 * for good and not counted. Nothing when `count` is 0.
 */
export function UnavailableNote({ count, where }: { count: number; where: string }) {
  if (count === 0) return null;
  const videos = count === 1 ? "1 video" : `${count} videos`;
  return (
    <p className="small" data-testid="unavailable-note">
      {videos} {where} {count === 1 ? "is" : "are"} not available now (unpublished or being processed):{" "}
      {count === 1 ? "it shows" : "they show"} here again when {count === 1 ? "it is" : "they are"} back.
    </p>
  );
}
