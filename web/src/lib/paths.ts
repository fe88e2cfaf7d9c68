/** The watch page of an item. */
export function watchPath(itemId: string): string {
  return `/watch/${encodeURIComponent(itemId)}`;
}

/** The browse page filtered to one tag. */
export function tagPath(tag: string): string {
  return `/?tag=${encodeURIComponent(tag)}`;
}
