import type { CSSProperties } from "react";
import { VolumeIcon } from "./icons";
import type { Volume } from "./useVolume";

/** "40 %": what a screen reader says of the volume slider. */
export function volumeValueText(percent: number, muted: boolean): string {
  return muted ? "Muted" : `${percent} %`;
}

/** The slider's fill up to `percent`, drawn as its background (the track is transparent). */
function fill(percent: number): CSSProperties {
  return {
    backgroundImage: `linear-gradient(to right, #fff ${percent}%, rgba(255, 255, 255, 0.3) ${percent}%)`,
  };
}

/**
 * Mute (named for what it does now: "Mute" or "Unmute") and the volume
 * slider beside it, 0–100 % in steps of 5 (arrow keys as any range input).
 * Muted, the slider reads 0 and the level stays in the video to return to.
 */
export function VolumeControl({ volume }: { volume: Volume }) {
  const silent = volume.muted || volume.level === 0;
  const percent = silent ? 0 : Math.round(volume.level * 100);
  const loudness = silent ? "silent" : volume.level < 0.5 ? "quiet" : "loud";
  return (
    <div className="player-volume">
      <button
        type="button"
        className="player-button"
        aria-label={silent ? "Unmute" : "Mute"}
        onClick={volume.toggleMute}
      >
        <VolumeIcon level={loudness} />
      </button>
      <input
        type="range"
        className="volume-slider"
        aria-label="Volume"
        aria-valuetext={volumeValueText(percent, silent)}
        min={0}
        max={100}
        step={5}
        value={percent}
        style={fill(percent)}
        onChange={(e) => volume.setLevel(Number(e.target.value) / 100)}
      />
    </div>
  );
}
