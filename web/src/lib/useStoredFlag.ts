import { useCallback, useState } from "react";

/** Whether the flag stored under `key` is on (false when never set, or storage is refused). */
function storedFlag(key: string): boolean {
  try {
    return localStorage.getItem(key) === "1";
  } catch {
    return false;
  }
}

/**
 * A choice this browser remembers (localStorage), as the theme is: off until turned on, and
 * kept across reloads and tabs from then on.
 */
export function useStoredFlag(key: string): [boolean, (on: boolean) => void] {
  const [on, setOn] = useState(() => storedFlag(key));
  const set = useCallback(
    (next: boolean) => {
      try {
        if (next) localStorage.setItem(key, "1");
        else localStorage.removeItem(key);
      } catch {
        // storage disabled: the choice lasts for this page only
      }
      setOn(next);
    },
    [key],
  );
  return [on, set];
}
