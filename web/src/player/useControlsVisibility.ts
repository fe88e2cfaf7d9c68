import {
  useCallback,
  useEffect,
  useRef,
  useState,
  type FocusEvent,
  type MouseEvent,
  type PointerEvent,
  type SyntheticEvent,
} from "react";

/** How long (ms) the bar stays after the last sign of the viewer while the video plays. */
export const CONTROLS_IDLE_MS = 2500;

export interface ControlsVisibility {
  shown: boolean;
  /** The keyboard focus is in the player (on its frame or a control): the frame shows its ring. */
  keyboardFocus: boolean;
  /**
   * For the player's frame: moving the pointer over it (or touching it)
   * shows the bar; keyboard focus in it (the frame itself, after "Play
   * video", or a control) keeps the bar.
   */
  frame: {
    onPointerMove: () => void;
    onPointerDownCapture: (event: PointerEvent) => void;
    onPointerLeave: (event: PointerEvent) => void;
    onFocus: () => void;
    onBlur: (event: FocusEvent) => void;
  };
  /** For the bar: a tap on it while hidden only shows it: no click, and no seek, drag or volume on its sliders. */
  bar: {
    onClickCapture: (event: MouseEvent) => void;
    onPointerDownCapture: (event: PointerEvent) => void;
    onChangeCapture: (event: SyntheticEvent) => void;
    onKeyDownCapture: () => void;
  };
  /** Whether the press behind this click only brought the bar back (a tap on a hidden one). */
  tapOnlyShows: () => boolean;
}

/**
 * Whether the bar is idle: hidden CONTROLS_IDLE_MS after the last pointer
 * move or key while playing, or at once when the mouse leaves the player.
 * The countdown lives in a ref: a pointer move only restarts it, and
 * re-renders nothing unless the bar was hidden.
 */
function useIdle(paused: boolean): { idle: boolean; wake: () => void; sleep: () => void } {
  const [idle, setIdle] = useState(false);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const countDown = useCallback(() => {
    clearTimeout(timer.current);
    timer.current = setTimeout(() => setIdle(true), CONTROLS_IDLE_MS);
  }, []);
  const wake = useCallback(() => {
    setIdle(false);
    countDown();
  }, [countDown]);
  const sleep = useCallback(() => setIdle(true), []);
  // Playing (again): the bar shows for a fresh countdown, whatever the pointer did meanwhile
  // (set while rendering, as React has it for state that follows a prop).
  const [wasPaused, setWasPaused] = useState(paused);
  if (paused !== wasPaused) {
    setWasPaused(paused);
    if (!paused) setIdle(false);
  }
  useEffect(() => {
    if (!paused) countDown();
    return () => clearTimeout(timer.current);
  }, [paused, countDown]);
  useEffect(() => {
    // A shortcut key (seeking with the arrows, say) shows where it took the video.
    document.addEventListener("keydown", wake);
    return () => document.removeEventListener("keydown", wake);
  }, [wake]);
  return { idle, wake, sleep };
}

/**
 * Whether the last input was a key rather than a pointer: focus that came by
 * keyboard keeps the bar. Page-wide, not the player's: the next item's player
 * (Up next) takes the focus on behalf of the key that opened it.
 */
const lastInput = { byKey: false };

/** Keeps lastInput while a player is on the page; read `byKey` when the focus arrives. */
function useKeyboardModality(): { byKey: boolean } {
  useEffect(() => {
    const byKey = () => (lastInput.byKey = true);
    const byPointer = () => (lastInput.byKey = false);
    document.addEventListener("keydown", byKey, true);
    document.addEventListener("pointerdown", byPointer, true);
    return () => {
      document.removeEventListener("keydown", byKey, true);
      document.removeEventListener("pointerdown", byPointer, true);
    };
  }, []);
  return lastInput;
}

/**
 * The control bar's auto-hide, as video sites have it: shown while paused,
 * while a menu is open (`pinned`) and while the keyboard focus is in the
 * player (a keyboard user sees where the focus is and what it can reach);
 * while playing it goes (the cursor with it, see .controls-hidden) after
 * CONTROLS_IDLE_MS without a pointer move, and comes back on the next one.
 */
export function useControlsVisibility(paused: boolean, pinned: boolean): ControlsVisibility {
  const { idle, wake, sleep } = useIdle(paused);
  const keyboard = useKeyboardModality();
  const [focused, setFocused] = useState(false);
  const tapWoke = useRef(false);
  const shown = !idle || paused || pinned || focused;
  const frame = {
    onPointerMove: wake,
    onPointerDownCapture: (event: PointerEvent) => {
      // A finger has no hover: its first tap on a hidden bar is to see the bar.
      tapWoke.current = !shown && event.pointerType !== "mouse";
      wake();
    },
    onPointerLeave: (event: PointerEvent) => {
      if (event.pointerType === "mouse") sleep();
    },
    onFocus: () => setFocused(keyboard.byKey),
    onBlur: (event: FocusEvent) => {
      if (!event.currentTarget.contains(event.relatedTarget)) setFocused(false);
    },
  };
  const bar = {
    onClickCapture: (event: MouseEvent) => {
      if (!tapOnlyShows()) return;
      event.preventDefault();
      event.stopPropagation();
    },
    // The sliders answer the press itself, not its click: the seek bar's
    // preview stays away, and each change of that press (a drag too) is
    // refused; React puts the slider back where it was.
    onPointerDownCapture: (event: PointerEvent) => {
      if (tapWoke.current) event.stopPropagation();
    },
    onChangeCapture: (event: SyntheticEvent) => {
      if (tapWoke.current) event.stopPropagation();
    },
    // A key after such a tap (a drag ends with no click to clear it) is the viewer's own.
    onKeyDownCapture: () => {
      tapWoke.current = false;
    },
  };
  function tapOnlyShows(): boolean {
    const woke = tapWoke.current;
    tapWoke.current = false;
    return woke;
  }
  return { shown, keyboardFocus: focused, frame, bar, tapOnlyShows };
}
