import { useCallback, useState } from "react";

/**
 * What the last change made on a list did ("Saved …", "Deleted 3 videos."), said of the list
 * it was made on: `listKey` names the list (its filters, search, page and page size), and on
 * another list it is said no more, where it stayed on under another filter describing nothing
 * shown. A reload of the same list (after the change itself) keeps it; news told after the
 * list changed (a run that ends meanwhile) is said of the list shown then.
 */
export function useSaidOfList<T>(listKey: string): [T | null, (said: T | null) => void] {
  const [said, setSaid] = useState<{ listKey: string; value: T | null }>({ listKey, value: null });
  // Set while rendering (React renders again at once), as the library's selection is.
  if (said.listKey !== listKey) setSaid({ listKey, value: null });
  const tell = useCallback((value: T | null) => setSaid((now) => ({ ...now, value })), []);
  return [said.listKey === listKey ? said.value : null, tell];
}
