/** The watch page of an item; with `seconds`, a link to that moment of it (`?t=`, whole seconds). */
export function watchPath(itemId: string, seconds?: number): string {
  return atMoment(`/watch/${encodeURIComponent(itemId)}`, seconds);
}

/** `path` (a page of one video, no query of its own) at `seconds` into it: `?t=`, whole seconds. */
export function atMoment(path: string, seconds?: number): string {
  return seconds === undefined ? path : `${path}?t=${Math.max(0, Math.floor(seconds))}`;
}

/**
 * The page a share link opens (`/s/<secret>`): its one video, without an account; with
 * `seconds`, a link to that moment of it (`?t=`, as a watch page's).
 */
export function sharedPath(secret: string, seconds?: number): string {
  return atMoment(`/s/${encodeURIComponent(secret)}`, seconds);
}

/** The watch page of an item opened at one of its comments (`?comment=`): its thread first, highlighted. */
export function commentPath(itemId: string, commentId: string): string {
  return `${watchPath(itemId)}?comment=${encodeURIComponent(commentId)}`;
}

/** The browse page filtered to one tag. */
export function tagPath(tag: string): string {
  return `/?tag=${encodeURIComponent(tag)}`;
}

/** The watch page of an item played from a playlist (`?list=`): the playlist beside it, and its next item up next. */
export function playlistWatchPath(itemId: string, playlistId: string): string {
  return `${watchPath(itemId)}?list=${encodeURIComponent(playlistId)}`;
}

/** A playlist's own page. */
export function playlistPath(playlistId: string): string {
  return `/playlists/${encodeURIComponent(playlistId)}`;
}

/**
 * The library showing one item's row, its edit form open (an admin's way from its watch page
 * to its row). By id: a title may be shared (24 "Weekly team meeting"), an id is not.
 */
export function libraryItemPath(itemId: string): string {
  return `/admin/library?${new URLSearchParams({ item: itemId }).toString()}`;
}

/**
 * A value a link carries in its fragment (`#code=…`, `#invite=…`): browsers never send the
 * fragment to a server, so a secret there reaches no access log or proxy on the way.
 */
export function fragmentValue(hash: string, name: string): string {
  return new URLSearchParams(hash.replace(/^#/, "")).get(name) ?? "";
}


/** A path of this app as a whole link to hand over (copied, shared), on the address it is served from. */
export function absoluteUrl(path: string): string {
  return new URL(path, window.location.origin).href;
}
