import { useRef, useState } from "react";
import type { CaptionEncodingLabel } from "../api/captions";
import { CAPTION_ENCODINGS } from "../api/limits";
import { ChoiceSelect, Field } from "../components/Field";

/** How many lines of cue text the preview shows. */
const PREVIEW_LINES = 4;
/**
 * C1 controls: what a browser reads a byte a code page leaves undefined as (0x81 in
 * Windows-1252). The server refuses them, so the file is not in that encoding here either.
 */
const C1_CONTROL = /[\u0080-\u009f]/;
/** The encodings to choose from: UTF-8 is what the file was found not to be. */
const CHOICES = [
  { value: "", label: "Choose…" },
  ...CAPTION_ENCODINGS.filter((e) => e.label !== "utf-8").map((e) => ({ value: e.label, label: e.name })),
];

/** The file's text in `label`, or null when it has a byte that is not a character in it. */
export function decodeCaption(bytes: Uint8Array, label: string): string | null {
  try {
    const text = new TextDecoder(label, { fatal: true }).decode(bytes);
    return label !== "utf-8" && C1_CONTROL.test(text) ? null : text;
  } catch {
    return null;
  }
}

/**
 * Whether the file goes as it is, no encoding asked: UTF-8, UTF-16 with its byte-order
 * mark, or no text at all (NUL bytes: a picture picked by mistake, which the server
 * refuses as not a text file, where no encoding would read it).
 */
function readsWithoutChoice(bytes: Uint8Array): boolean {
  const utf16 = (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
  return utf16 || bytes.includes(0) || decodeCaption(bytes, "utf-8") !== null;
}

/** The first lines of cue text: the header, cue numbers, timings and blank lines left out. */
function previewLines(text: string): string[] {
  return text
    .split(/\r\n|\r|\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("WEBVTT") && !/^\d+$/.test(line) && !line.includes("-->"))
    .slice(0, PREVIEW_LINES);
}

function encodingName(label: string): string {
  return CAPTION_ENCODINGS.find((e) => e.label === label)?.name ?? label;
}

/** The encoding a caption file was saved in, asked for when it is not UTF-8. */
export interface EncodingChoice {
  /** The file is not UTF-8 (seen here, or said by the server): an encoding is to be chosen. */
  needed: boolean;
  /** The chosen encoding, or "" before one is. */
  encoding: CaptionEncodingLabel | "";
  choose: (label: string) => void;
  /** The file's first lines of cue text in the chosen encoding; null when it does not read in it. */
  preview: string[] | null;
  /** Reads a newly chosen file (null: none), forgetting the last one's choice. */
  read: (file: File | null) => void;
  /** The server refused the file as not UTF-8: ask for its encoding. */
  ask: () => void;
  /** What is wrong with the choice before the file can be sent, or null. */
  problem: () => string | null;
  /** The encoding to send the file with: the one chosen, when one was asked for. */
  sent: () => CaptionEncodingLabel | undefined;
}

/** The chosen file's bytes, read once it is chosen, and the encoding chosen for them (`onChoose`: told of each choice). */
export function useEncodingChoice(onChoose?: () => void): EncodingChoice {
  const [bytes, setBytes] = useState<Uint8Array | null>(null);
  const [needed, setNeeded] = useState(false);
  const [encoding, setEncoding] = useState<CaptionEncodingLabel | "">("");
  // A file chosen while the last was being read wins.
  const current = useRef<File | null>(null);

  function read(file: File | null) {
    current.current = file;
    setBytes(null);
    setNeeded(false);
    setEncoding("");
    void file?.arrayBuffer().then((buffer) => {
      if (current.current !== file) return;
      const read = new Uint8Array(buffer);
      setBytes(read);
      setNeeded(!readsWithoutChoice(read));
    });
  }

  const text = bytes && encoding ? decodeCaption(bytes, encoding) : null;
  const preview = text === null ? null : previewLines(text);

  function problem(): string | null {
    if (!needed) return null;
    if (!encoding) return "Choose the encoding the file was saved in.";
    if (bytes && text === null) return `The file is not ${encodingName(encoding)}: choose another.`;
    return null;
  }

  const choose = (label: string) => {
    setEncoding(CAPTION_ENCODINGS.find((e) => e.label === label)?.label ?? "");
    onChoose?.();
  };
  const sent = () => (needed && encoding ? encoding : undefined);
  return { needed, encoding, choose, preview, read, ask: () => setNeeded(true), problem, sent };
}

/**
 * Asks which encoding a file that is not UTF-8 was saved in, and shows its first lines in
 * the chosen one, so the words can be seen to read right before it is sent.
 */
export function CaptionEncodingField({ choice, error }: { choice: EncodingChoice; error?: string }) {
  if (!choice.needed) return null;
  return (
    <>
      <Field
        label="The file is not UTF-8. It was saved in:"
        hint="Its first lines are shown in the one chosen: check that the words read right."
        error={error}
      >
        {(control) => (
          <ChoiceSelect control={control} value={choice.encoding} choices={CHOICES} onChange={choice.choose} />
        )}
      </Field>
      {choice.encoding && (
        <figure className="caption-preview" data-testid="caption-preview">
          <figcaption className="muted small">The file’s first lines, read as {encodingName(choice.encoding)}:</figcaption>
          {choice.preview === null ? (
            <p className="field-error">The file is not {encodingName(choice.encoding)}: choose another.</p>
          ) : (
            <blockquote>
              {choice.preview.map((line, index) => (
                <p key={index}>{line}</p>
              ))}
            </blockquote>
          )}
        </figure>
      )}
    </>
  );
}
