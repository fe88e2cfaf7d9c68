import { useId } from "react";
import { ChoiceSelect, type ChoiceProps } from "../components/Field";

/**
 * One menu of the row under the video (quality, audio, captions, speed): its
 * label beside its select, the two kept on one line when the row wraps.
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
