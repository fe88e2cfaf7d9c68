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

/**
 * Text with its web addresses clickable. React escapes every run, so a
 * description can never inject markup; links open in a new tab without
 * handing it this page (`noopener`) or vouching for them (`nofollow ugc`).
 */
export function LinkedText({ text }: { text: string }) {
  return (
    <>
      {linkParts(text).map((part, i) =>
        part.href ? (
          <a key={i} href={part.href} target="_blank" rel="noopener nofollow ugc">
            {part.text}
          </a>
        ) : (
          part.text
        ),
      )}
    </>
  );
}
