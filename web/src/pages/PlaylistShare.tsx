import { useState } from "react";
import type { Playlist } from "../api/schema";
import { ActionButton } from "../components/ActionButton";
import { absoluteUrl, playlistPath } from "../lib/paths";

/** The address that opens the playlist, for its owner to send to others. */
export function playlistLink(playlist: Playlist): string {
  return absoluteUrl(playlistPath(playlist.id));
}

/**
 * "Share", for the playlist's owner: who can see it, and the button that changes it. Shared
 * by link (unlisted), anyone signed in who has the link can watch it, in order, and save a
 * copy; no one else finds it in a list. The link is shown to select, and Copy link puts it on
 * the clipboard (where the browser allows it: not on a page served over plain HTTP).
 */
export function SharePanel({
  playlist,
  busy,
  onShare,
}: {
  playlist: Playlist;
  busy: boolean;
  onShare: (visibility: Playlist["visibility"]) => void;
}) {
  const [copied, setCopied] = useState("");
  const unlisted = playlist.visibility === "unlisted";
  const link = playlistLink(playlist);

  async function copy() {
    try {
      await navigator.clipboard.writeText(link);
      setCopied("Link copied.");
    } catch {
      setCopied("Could not copy the link: select it above and copy it.");
    }
  }

  return (
    <section className="share-panel" aria-labelledby="share-title">
      <h2 id="share-title">Share</h2>
      <p data-testid="playlist-visibility">
        {unlisted
          ? "Anyone signed in who has the link can watch this playlist. It is not listed anywhere, and only you can change it."
          : "Private: only you can see this playlist."}
      </p>
      {unlisted && (
        <label>
          Link
          <input readOnly value={link} onFocus={(event) => event.currentTarget.select()} />
        </label>
      )}
      <div className="button-row">
        {unlisted && (
          <button type="button" className="button" onClick={() => void copy()}>
            Copy link
          </button>
        )}
        <ActionButton className="button ghost" busy={busy} onClick={() => onShare(unlisted ? "private" : "unlisted")}>
          {unlisted ? "Make private" : "Share by link"}
        </ActionButton>
      </div>
      <p className="muted small" role="status" data-testid="link-copied">
        {unlisted ? copied : ""}
      </p>
    </section>
  );
}
