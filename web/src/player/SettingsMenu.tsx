import { useEffect, useId, useRef, useState, type KeyboardEvent as ReactKeyboardEvent, type ReactNode, type RefObject } from "react";
import { SPEEDS } from "./usePlayerShortcuts";
import { AudioMenu } from "./AudioMenu";
import { CaptionsMenu, type Captions } from "./captions";
import { SettingsIcon } from "./icons";
import { offersChoice, PlayerMenu } from "./PlayerMenu";
import type { Quality, StreamState } from "./useStream";

/**
 * "360p": a rung's short side, as the transcoder names its rungs, so a phone's portrait
 * video (360 x 640) reads 360p and 240p, not 640p and 426p.
 */
function qualityLabel(quality: Quality): string {
  const short = quality.width > 0 ? Math.min(quality.width, quality.height) : quality.height;
  return `${short}p`;
}

/** "Quality: Auto + each rung" where hls.js offers a choice of rungs (see offersChoice), as the audio menu. */
export function QualityMenu({
  qualities,
  level,
  playing,
  onChange,
}: {
  qualities: Quality[];
  level: number;
  playing: number | null;
  onChange: (level: number) => void;
}) {
  if (!offersChoice(qualities.length)) return null;
  const auto = playing !== null && qualities[playing] ? `Auto (${qualityLabel(qualities[playing])})` : "Auto";
  const highestFirst = [...qualities].sort((a, b) => b.height - a.height || b.bitrate - a.bitrate);
  const choices = [
    { value: "-1", label: auto },
    ...highestFirst.map((q) => ({ value: String(q.index), label: qualityLabel(q) })),
  ];
  return (
    <PlayerMenu label="Quality" value={String(level)} choices={choices} onChange={(value) => onChange(Number(value))} />
  );
}

/** "Normal" or "1.5×": in the menu, and what the speed keys say. */
export function speedLabel(rate: number): string {
  return rate === 1 ? "Normal" : `${rate}×`;
}

const SPEED_CHOICES = SPEEDS.map((s) => ({ value: String(s), label: speedLabel(s) }));

/** The playback speed, kept in step with the keyboard's &lt; and &gt;. */
export function SpeedMenu({
  videoRef,
  speed,
  onSpeed,
}: {
  videoRef: RefObject<HTMLVideoElement | null>;
  speed: number;
  onSpeed: (rate: number) => void;
}) {
  return (
    <PlayerMenu
      label="Speed"
      value={String(speed)}
      choices={SPEED_CHOICES}
      onChange={(value) => {
        const rate = Number(value);
        if (videoRef.current) videoRef.current.playbackRate = rate;
        onSpeed(rate);
      }}
    />
  );
}

/** The choices of a switch in the menu (autoplay next, keyboard shortcuts). */
const ON_OFF_CHOICES = [
  { value: "on", label: "On" },
  { value: "off", label: "Off" },
];

/** One of the menu's on/off switches, as a select of On and Off like its other entries. */
function OnOffMenu({
  label,
  on,
  onChange,
  className,
}: {
  label: string;
  on: boolean;
  onChange: (on: boolean) => void;
  className?: string;
}) {
  return (
    <PlayerMenu
      label={label}
      className={className}
      value={on ? "on" : "off"}
      choices={ON_OFF_CHOICES}
      onChange={(value) => onChange(value === "on")}
    />
  );
}

/**
 * What the settings menu offers, each under its own rules: quality, audio,
 * captions, speed, autoplay next (when something plays next: not null), and
 * the page-wide keyboard shortcuts (WCAG 2.1.4: they can be turned off).
 */
export function PlayerSettings({
  videoRef,
  stream,
  captions,
  speed,
  onSpeed,
  autoplayNext,
  onAutoplayNext,
  shortcuts,
  onShortcuts,
}: {
  videoRef: RefObject<HTMLVideoElement | null>;
  stream: StreamState;
  captions: Captions;
  speed: number;
  onSpeed: (rate: number) => void;
  autoplayNext: boolean | null;
  onAutoplayNext: (on: boolean) => void;
  shortcuts: boolean;
  onShortcuts: (on: boolean) => void;
}) {
  return (
    <>
      <QualityMenu
        qualities={stream.qualities}
        level={stream.level}
        playing={stream.playing}
        onChange={stream.setLevel}
      />
      <AudioMenu hls={stream.hls} />
      <CaptionsMenu captions={stream.captions} state={captions} />
      <SpeedMenu videoRef={videoRef} speed={speed} onSpeed={onSpeed} />
      {autoplayNext !== null && <OnOffMenu label="Autoplay next" on={autoplayNext} onChange={onAutoplayNext} />}
      {/* Hidden on a touch screen or a phone, as the shortcuts' list is (.player-keys-switch). */}
      <OnOffMenu label="Keyboard shortcuts" on={shortcuts} onChange={onShortcuts} className="player-keys-switch" />
    </>
  );
}

/**
 * Closes the open menu on Escape (focus back on `buttonRef`, where it was
 * opened), on a press anywhere outside it and its button, and once the focus
 * moves out of both (Tab past it: it stayed open over the picture).
 */
function useDismiss(
  open: boolean,
  onOpenChange: (open: boolean) => void,
  panelRef: RefObject<HTMLElement | null>,
  buttonRef: RefObject<HTMLElement | null>,
): void {
  useEffect(() => {
    if (!open) return;
    const inside = (target: EventTarget | null) =>
      target instanceof Node && (panelRef.current?.contains(target) || buttonRef.current?.contains(target));
    const onOutside = (event: Event) => {
      if (!inside(event.target)) onOpenChange(false);
    };
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== "Escape") return;
      event.preventDefault(); // answered: the end screen behind the menu stays (UpNext)
      onOpenChange(false);
      buttonRef.current?.focus();
    };
    document.addEventListener("pointerdown", onOutside);
    document.addEventListener("focusin", onOutside);
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("pointerdown", onOutside);
      document.removeEventListener("focusin", onOutside);
      document.removeEventListener("keydown", onKey);
    };
  }, [open, onOpenChange, panelRef, buttonRef]);
}

/**
 * Which ends of the open menu hide more of it ("above", "below", both, or ""), for the fade
 * that says so: on a phone its last rows were out of sight with no sign that it scrolls.
 */
function useMoreToScroll(open: boolean, panelRef: RefObject<HTMLElement | null>): string {
  const [more, setMore] = useState("");
  useEffect(() => {
    const panel = panelRef.current;
    if (!open || !panel) return;
    const measure = () => {
      const above = panel.scrollTop > 1;
      const below = panel.scrollHeight - panel.scrollTop - panel.clientHeight > 1;
      setMore([above ? "above" : "", below ? "below" : ""].join(" ").trim());
    };
    // Once drawn: measured before, the menu had no height yet.
    const drawn = requestAnimationFrame(measure);
    panel.addEventListener("scroll", measure, { passive: true });
    window.addEventListener("resize", measure);
    return () => {
      cancelAnimationFrame(drawn);
      panel.removeEventListener("scroll", measure);
      window.removeEventListener("resize", measure);
    };
  }, [open, panelRef]);
  return open ? more : "";
}

/**
 * ↓ and ↑ on the gear of the open menu go to its first and last choice, as in a menu; they
 * set the volume (the player's keys) before, unseen behind the menu.
 */
function intoMenu(event: ReactKeyboardEvent<HTMLButtonElement>, open: boolean, panel: HTMLElement | null): void {
  if (!open || !panel || (event.key !== "ArrowDown" && event.key !== "ArrowUp")) return;
  event.preventDefault(); // answered: not the player's volume
  const choices = panel.querySelectorAll<HTMLElement>("select");
  choices[event.key === "ArrowDown" ? 0 : choices.length - 1]?.focus();
}

/**
 * The gear and its popover of choices (quality, audio, captions, speed: the
 * `children`), a disclosure: the popover follows the gear in the tab order,
 * so the focus stays where it was (the shortcut keys keep working) and Tab
 * goes on into it. The choices stay rendered while it is closed, only
 * hidden, so that their effects (the remembered audio language) run from
 * the start.
 */
export function SettingsMenu({
  open,
  onOpenChange,
  children,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  children: ReactNode;
}) {
  const panelId = useId();
  const panelRef = useRef<HTMLDivElement>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);
  useDismiss(open, onOpenChange, panelRef, buttonRef);
  const more = useMoreToScroll(open, panelRef);
  return (
    <>
      <button
        ref={buttonRef}
        type="button"
        className="player-button"
        aria-label="Settings"
        aria-expanded={open}
        aria-controls={panelId}
        onClick={() => onOpenChange(!open)}
        onKeyDown={(event) => intoMenu(event, open, panelRef.current)}
      >
        <SettingsIcon />
      </button>
      <div
        ref={panelRef}
        id={panelId}
        className="player-settings"
        role="group"
        aria-label="Player settings"
        data-more={more || undefined}
        hidden={!open}
      >
        {children}
      </div>
    </>
  );
}
