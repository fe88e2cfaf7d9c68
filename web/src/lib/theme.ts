import { useCallback, useEffect, useState } from "react";

export type Theme = "light" | "dark";

const KEY = "streamstack.theme";
const DARK_QUERY = "(prefers-color-scheme: dark)";

/** The theme the user picked with the toggle, or null to follow the system. */
export function storedTheme(): Theme | null {
  try {
    const value = localStorage.getItem(KEY);
    return value === "light" || value === "dark" ? value : null;
  } catch {
    return null;
  }
}

export function systemTheme(): Theme {
  return typeof window.matchMedia === "function" && window.matchMedia(DARK_QUERY).matches ? "dark" : "light";
}

/**
 * Marks <html> with the picked theme (the style sheet follows the system
 * preference when there is no mark). Called before the first render too,
 * so a picked theme does not flash the other one first.
 */
export function applyTheme(theme: Theme | null): void {
  const root = document.documentElement;
  if (theme === null) delete root.dataset.theme;
  else root.dataset.theme = theme;
}

/** The theme in effect and a toggle that switches it and remembers the choice. */
export function useTheme(): { theme: Theme; toggle: () => void } {
  const [picked, setPicked] = useState<Theme | null>(storedTheme);
  const [system, setSystem] = useState<Theme>(systemTheme);

  useEffect(() => {
    if (typeof window.matchMedia !== "function") return;
    const query = window.matchMedia(DARK_QUERY);
    const follow = () => setSystem(query.matches ? "dark" : "light");
    query.addEventListener("change", follow);
    return () => query.removeEventListener("change", follow);
  }, []);

  const theme = picked ?? system;
  const toggle = useCallback(() => {
    const next: Theme = theme === "dark" ? "light" : "dark";
    try {
      localStorage.setItem(KEY, next);
    } catch {
      // storage disabled: the choice lasts for this page only
    }
    applyTheme(next);
    setPicked(next);
  }, [theme]);

  return { theme, toggle };
}
