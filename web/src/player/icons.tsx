import type { ReactNode } from "react";

/**
 * The player's icons: a few inline SVGs of our own rather than an icon font
 * or library (the app runs without internet, and a handful of shapes is not
 * worth a dependency). Each is decoration: the button around it carries the
 * name, so the SVG is hidden from assistive technology. They paint in
 * currentColor, the bar's white.
 */
function Icon({ children }: { children: ReactNode }) {
  return (
    <svg className="player-icon" viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false">
      {children}
    </svg>
  );
}

/** Outlined shapes share one pen. */
const STROKE = {
  fill: "none",
  stroke: "currentColor",
  strokeWidth: 2,
  strokeLinecap: "round",
  strokeLinejoin: "round",
} as const;

export function PlayIcon() {
  return (
    <Icon>
      <path d="M8 5.5v13a1 1 0 0 0 1.5.86l10.4-6.5a1 1 0 0 0 0-1.72L9.5 4.64A1 1 0 0 0 8 5.5z" fill="currentColor" />
    </Icon>
  );
}

/** Round arrow back to the start: the play button once the video has ended. */
export function ReplayIcon() {
  return (
    <Icon>
      <path d="M4.5 12a7.5 7.5 0 1 0 2.2-5.3" {...STROKE} />
      <path d="M4.5 3.5v4h4" {...STROKE} />
    </Icon>
  );
}

export function PauseIcon() {
  return (
    <Icon>
      <rect x="6" y="5" width="4" height="14" rx="1" fill="currentColor" />
      <rect x="14" y="5" width="4" height="14" rx="1" fill="currentColor" />
    </Icon>
  );
}

const SPEAKER = "M3.5 9.5v5h4l5 4.5v-14l-5 4.5z";

/** The speaker with one wave (quiet), two (loud) or a cross (silent). */
export function VolumeIcon({ level }: { level: "silent" | "quiet" | "loud" }) {
  return (
    <Icon>
      <path d={SPEAKER} fill="currentColor" />
      {level === "silent" ? (
        <path d="M16 9.5l5 5m0-5l-5 5" {...STROKE} />
      ) : (
        <>
          <path d="M16 9a4.2 4.2 0 0 1 0 6" {...STROKE} />
          {level === "loud" && <path d="M18.5 6.5a7.8 7.8 0 0 1 0 11" {...STROKE} />}
        </>
      )}
    </Icon>
  );
}

/** "CC" in a frame; the button underlines it while captions show. */
export function CaptionsIcon() {
  return (
    <Icon>
      <rect x="2.5" y="5" width="19" height="14" rx="2.5" {...STROKE} />
      <path d="M10.5 10a2.2 2.2 0 1 0 0 4M17 10a2.2 2.2 0 1 0 0 4" {...STROKE} />
    </Icon>
  );
}

/** A gear: a dashed ring (the teeth) round a solid one. */
export function SettingsIcon() {
  return (
    <Icon>
      <circle cx="12" cy="12" r="8.2" fill="none" stroke="currentColor" strokeWidth="3.2" strokeDasharray="3.22 3.22" />
      <circle cx="12" cy="12" r="5.6" fill="none" stroke="currentColor" strokeWidth="3" />
    </Icon>
  );
}

export function PictureInPictureIcon() {
  return (
    <Icon>
      <rect x="2.5" y="4.5" width="19" height="15" rx="2" {...STROKE} />
      <rect x="12" y="11.5" width="7" height="5.5" rx="1" fill="currentColor" />
    </Icon>
  );
}

/** Corners pointing out (enter) or in (exit). */
export function FullscreenIcon({ exit }: { exit: boolean }) {
  const corners = exit
    ? "M9 4v5H4M15 4v5h5M9 20v-5H4M15 20v-5h5"
    : "M4 9V4h5M20 9V4h-5M4 15v5h5M20 15v5h-5";
  return (
    <Icon>
      <path d={corners} {...STROKE} />
    </Icon>
  );
}
