import { PATTERNS } from "../api/limits";

/** Language tags as the API accepts them (caption and audio tracks alike). */
export const LANGUAGE = PATTERNS.captionLanguage;

/**
 * A tag written any way (` EN_gb `, `zh-HANT`) in the spelling the server keeps it
 * under (BCP 47's case: `en-GB`, `zh-Hant`), trimmed and `_` read as `-`; so the
 * form finds the track it would replace and says what was stored.
 */
export function normaliseLanguage(text: string): string {
  const [first = "", ...rest] = text.trim().replace(/_/g, "-").split("-");
  return [first.toLowerCase(), ...rest.map(subtagCase)].join("-");
}

/** A subtag after the language: a script (four letters) in title case, a region (two) in upper case, else lower. */
function subtagCase(subtag: string): string {
  if (/^[A-Za-z]{4}$/.test(subtag)) return subtag.charAt(0).toUpperCase() + subtag.slice(1).toLowerCase();
  if (/^[A-Za-z]{2}$/.test(subtag)) return subtag.toUpperCase();
  return subtag.toLowerCase();
}

/**
 * The language's name in itself ("Français", "Português (Brasil)"), for a label left
 * empty and where a tag alone would be shown; null when unknown. Named as the server
 * names a track given no label (the language, then its region or script in brackets).
 */
export function languageName(language: string): string | null {
  if (!LANGUAGE.test(language)) return null;
  try {
    const name = new Intl.DisplayNames([language], { type: "language", languageDisplay: "standard" }).of(language);
    if (!name || name === language) return null;
    return name.charAt(0).toLocaleUpperCase(language) + name.slice(1);
  } catch {
    return null; // a tag this browser's Intl refuses: the server names it
  }
}

/**
 * A track's name as a viewer reads it: a name that is only its language's tag
 * (`en`: how tracks without a label were named, and audio tracks still are)
 * becomes the language's own name ("English"). Any other name, the server's, is kept.
 */
export function trackName(name: string, language: string | null | undefined): string {
  return language && name === language ? (languageName(language) ?? name) : name;
}
