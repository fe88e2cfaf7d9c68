import { useId } from "react";
import { ChoiceSelect, type ChoiceProps } from "../components/Field";

/**
 * Whether a menu of `count` choices (audio tracks, quality rungs) is worth
 * showing: one choice is no choice, so a menu appears from two on.
 */
export function offersChoice(count: number): boolean {
  return count >= 2;
}

/**
 * One entry of the player's settings menu (quality, audio, captions, speed):
 * its label beside its select, on one line; `className` for a rule of its own (the
 * keyboard shortcuts' switch, hidden where there is no keyboard).
 */
export function PlayerMenu({ label, className, ...choice }: ChoiceProps & { label: string; className?: string }) {
  const id = useId();
  return (
    <span className={className ? `player-tool ${className}` : "player-tool"}>
      <label htmlFor={id}>{label}</label>
      <ChoiceSelect {...choice} control={{ id }} />
    </span>
  );
}
