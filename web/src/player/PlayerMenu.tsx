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
 * its label beside its select, on one line.
 */
export function PlayerMenu({ label, ...choice }: ChoiceProps & { label: string }) {
  const id = useId();
  return (
    <span className="player-tool">
      <label htmlFor={id}>{label}</label>
      <ChoiceSelect {...choice} control={{ id }} />
    </span>
  );
}
