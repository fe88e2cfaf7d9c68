/** The watch page of an item; with `seconds`, a link to that moment of it (`?t=`, whole seconds). */
export function watchPath(itemId: string, seconds?: number): string {
  const path = `/watch/${encodeURIComponent(itemId)}`;
  return seconds === undefined ? path : `${path}?t=${Math.max(0, Math.floor(seconds))}`;
}

/** The browse page filtered to one tag. */
export function tagPath(tag: string): string {
  return `/?tag=${encodeURIComponent(tag)}`;
}
