import type { MouseEvent } from "react";
import { isWithin, momentParts } from "../lib/moment";

/** http(s) URLs in free text; trailing punctuation belongs to the sentence, not the link. */
const URL_PATTERN = /\bhttps?:\/\/[^\s<>"]+/gi;
const TRAILING = /[.,;:!?)\]'’”]+$/;

export interface TextPart {
  text: string;
  href?: string;
}

/** Splits `text` into plain runs and links (only http and https; nothing else becomes a link). */
export function linkParts(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const start = match.index;
    const url = match[0].replace(TRAILING, "");
    if (start > last) parts.push({ text: text.slice(last, start) });
    parts.push({ text: url, href: url });
    last = start + url.length;
  }
  if (last < text.length) parts.push({ text: text.slice(last) });
  return parts;
}

/** What LinkedText needs to turn timestamps into links to moments of the page's own video. */
export interface MomentLinks {
  /** The page's own address at `seconds`: for a new tab, a copied link, the status bar. */
  href: (seconds: number) => string;
  /** Goes to `seconds` in place (a plain click: the link's navigation is prevented). */
  onOpen: (seconds: number) => void;
  /** The video's length (s), when known: a timestamp at or past its end stays text. */
  duration?: number | null;
}

/** A plain left click, which the page handles; a modified one (new tab, download…) is the browser's. */
function isPlainClick(event: MouseEvent<HTMLAnchorElement>): boolean {
  return event.button === 0 && !event.ctrlKey && !event.metaKey && !event.shiftKey && !event.altKey;
}

/** A plain run of text, with its timestamps as links to moments when `moments` is given. */
function PlainText({ text, moments }: { text: string; moments: MomentLinks | undefined }) {
  if (!moments) return text;
  return momentParts(text).map((part, i) => {
    const at = part.seconds;
    if (at === undefined || !isWithin(at, moments.duration)) return part.text;
    return (
      <a
        key={i}
        href={moments.href(at)}
        className="moment-link"
        onClick={(event) => {
          if (!isPlainClick(event)) return;
          event.preventDefault();
          moments.onOpen(at);
        }}
      >
        {part.text}
      </a>
    );
  });
}

/**
 * Text with its web addresses clickable. React escapes every run, so a
 * description can never inject markup; links open in a new tab without
 * handing it this page (`noopener`) or vouching for them (`nofollow ugc`).
 * With `moments` (the watch page), timestamps outside those addresses —
 * "1:23", "1:02:03" — also become links, to that moment of the video.
 */
export function LinkedText({ text, moments }: { text: string; moments?: MomentLinks }) {
  return (
    <>
      {linkParts(text).map((part, i) =>
        part.href ? (
          <a key={i} href={part.href} target="_blank" rel="noopener nofollow ugc">
            {part.text}
          </a>
        ) : (
          <PlainText key={i} text={part.text} moments={moments} />
        ),
      )}
    </>
  );
}
