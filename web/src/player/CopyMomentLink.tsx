import { memo, useCallback, useEffect, useId, useRef, useState, useSyncExternalStore, type RefObject } from "react";
import { formatClock } from "../lib/format";
import { absoluteUrl } from "../lib/paths";

/** How long "Link copied" stays (ms). */
export const COPIED_FOR_MS = 2500;

/** The events after which the position may show another whole second. */
const POSITION_EVENTS = ["timeupdate", "seeking", "seeked", "loadedmetadata"] as const;

/**
 * The video's position in whole seconds. The video reports its time a few
 * times a second; this changes (and re-renders its user) once a second.
 */
function useWholeSeconds(videoRef: RefObject<HTMLVideoElement | null>): number {
  const subscribe = useCallback(
    (onChange: () => void) => {
      const video = videoRef.current;
      if (!video) return () => undefined;
      for (const name of POSITION_EVENTS) video.addEventListener(name, onChange);
      return () => {
        for (const name of POSITION_EVENTS) video.removeEventListener(name, onChange);
      };
    },
    [videoRef],
  );
  const read = useCallback(() => {
    const time = videoRef.current?.currentTime ?? 0;
    return Number.isFinite(time) && time > 0 ? Math.floor(time) : 0;
  }, [videoRef]);
  return useSyncExternalStore(subscribe, read);
}


/** Whether the browser took `text` onto the clipboard (no Clipboard API, or a refusal: no). */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

/** The link, selected in a read-only field, for a browser that would not copy it. */
function ManualCopy({ url }: { url: string }) {
  const id = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  useEffect(() => {
    inputRef.current?.focus();
    inputRef.current?.select();
  }, []);
  return (
    <span className="player-tool moment-manual">
      <label htmlFor={id}>Copy this link</label>
      <input
        ref={inputRef}
        id={id}
        type="text"
        readOnly
        value={url}
        onFocus={(e) => e.currentTarget.select()}
        data-testid="moment-link-manual"
      />
    </span>
  );
}

interface Props {
  /** The page of this video at `seconds` (its watch page, or the share link's page). Stable: the link is memoised on it. */
  momentPath: (seconds: number) => string;
  videoRef: RefObject<HTMLVideoElement | null>;
}

/**
 * "Copy link at 1:23": copies a link to this item at the current whole
 * second (`/watch/<id>?t=83`) and says so in a polite live region; where the
 * clipboard is missing or refuses, shows the link selected to copy by hand.
 * Memoised: the player re-renders at every tick of its clock, this only when
 * the whole second changes.
 */
export const CopyMomentLink = memo(function CopyMomentLink({ momentPath, videoRef }: Props) {
  const seconds = useWholeSeconds(videoRef);
  const [copied, setCopied] = useState(false);
  // Each refusal shows the field afresh (focused, selected), even for the same link.
  const [manual, setManual] = useState<{ url: string; attempt: number } | null>(null);
  const timer = useRef<number | undefined>(undefined);
  useEffect(() => () => window.clearTimeout(timer.current), []);

  const copy = async () => {
    const url = absoluteUrl(momentPath(seconds));
    window.clearTimeout(timer.current);
    if (await copyText(url)) {
      setManual(null);
      setCopied(true);
      timer.current = window.setTimeout(() => setCopied(false), COPIED_FOR_MS);
    } else {
      setCopied(false);
      setManual((m) => ({ url, attempt: (m?.attempt ?? 0) + 1 }));
    }
  };

  return (
    <>
      <span className="player-tool">
        <button type="button" className="button ghost" onClick={() => void copy()}>
          Copy link at {formatClock(seconds)}
        </button>
        {/* Always there, so that screen readers hear it change. */}
        <span role="status" data-testid="moment-link-status">
          {copied ? "Link copied" : ""}
        </span>
      </span>
      {manual && <ManualCopy key={manual.attempt} url={manual.url} />}
    </>
  );
});
