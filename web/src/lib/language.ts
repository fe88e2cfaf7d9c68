import { PATTERNS } from "../api/limits";

/** Language tags as the API accepts them (caption and audio tracks alike). */
export const LANGUAGE = PATTERNS.captionLanguage;

/** `EN-gb ` as the API spells it: trimmed, the primary subtag in lower case. */
export function normaliseLanguage(text: string): string {
  const [first = "", ...rest] = text.trim().split("-");
  return [first.toLowerCase(), ...rest].join("-");
}

/** The language's name in itself ("Français", "English"), for a label left empty; null when unknown. */
export function languageName(language: string): string | null {
  if (!LANGUAGE.test(language)) return null;
  try {
    const name = new Intl.DisplayNames([language], { type: "language" }).of(language);
    if (!name || name === language) return null;
    return name.charAt(0).toLocaleUpperCase(language) + name.slice(1);
  } catch {
    return null; // a tag this browser's Intl refuses: the server names it
  }
}

/**
 * A track's name as a viewer reads it: the server names a track whose upload
 * named only its language by that tag (`en`); that becomes the language's own
 * name ("English"). Any other name is kept.
 */
export function trackName(name: string, language: string | null | undefined): string {
  return language && name === language ? (languageName(language) ?? name) : name;
}
