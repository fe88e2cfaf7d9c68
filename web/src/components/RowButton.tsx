import type { ReactNode, Ref } from "react";
import { ActionButton } from "./ActionButton";

/**
 * A button on a list's row (a user, a video): an ActionButton that `label` names, what it
 * does and to whom (Unpublish, Disable or Reset link, held while its row's request runs).
 */
export function RowButton({
  danger = false,
  ...button
}: {
  label: string;
  danger?: boolean;
  busy: boolean;
  onClick: () => void;
  buttonRef?: Ref<HTMLButtonElement>;
  children: ReactNode;
}) {
  return <ActionButton className={danger ? "button danger" : "button"} {...button} />;
}
