import { useCallback, useState } from "react";

/**
 * The viewer's player choices (captions, audio language, volume, autoplay
 * next, keyboard shortcuts), kept across items and visits in localStorage
 * under one key each.
 */
export function remembered(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null; // storage refused (private mode, blocked): no memory, the defaults apply
  }
}

export function remember(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    // As above: the choice holds for this page only.
  }
}

/** A remembered switch (autoplay next, keyboard shortcuts): on unless the viewer turned it off. */
function rememberedOn(key: string): boolean {
  return remembered(key) !== "off";
}

/** A switch kept under `key` ("on" or "off", on by default): its state, and a setter that remembers. */
export function useRememberedSwitch(key: string): [boolean, (on: boolean) => void] {
  const [on, setOn] = useState(() => rememberedOn(key));
  const choose = useCallback(
    (value: boolean) => {
      remember(key, value ? "on" : "off");
      setOn(value);
    },
    [key],
  );
  return [on, choose];
}

function primary(language: string): string {
  return language.split("-", 1)[0]!.toLowerCase();
}

/**
 * The first of `items` in `language`, else the first of the same primary
 * language (`en` for `en-GB`, and the other way round); undefined when none is.
 */
export function closestLanguage<T>(
  items: readonly T[],
  language: string,
  languageOf: (item: T) => string | undefined,
): T | undefined {
  const exact = items.find((item) => languageOf(item) === language);
  const near = items.find((item) => {
    const other = languageOf(item);
    return other !== undefined && primary(other) === primary(language);
  });
  return exact ?? near;
}
