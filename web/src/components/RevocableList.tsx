import { Fragment, type ReactNode } from "react";
import { ActionButton } from "./ActionButton";

/**
 * What gives access to this server, listed to be revoked: the devices signed
 * in to an account, the invite codes handed out. `empty` stands in for none.
 */
export function RevocableList<T extends { id: string }>({
  label,
  empty,
  items,
  children,
}: {
  label: string;
  empty: string;
  items: readonly T[];
  children: (item: T) => ReactNode;
}) {
  if (items.length === 0) return <p className="muted">{empty}</p>;
  return (
    <ul className="session-list" aria-label={label}>
      {items.map((item) => (
        <Fragment key={item.id}>{children(item)}</Fragment>
      ))}
    </ul>
  );
}

/**
 * One entry of a RevocableList: what it is (and a badge), when, and what can be done about it;
 * `ended` greys one that no longer gives access (an expired or stopped share link).
 */
export function RevocableItem(props: {
  testId: string;
  ended?: boolean;
  name: ReactNode;
  badge?: ReactNode;
  when: ReactNode;
  action?: ReactNode;
  /** Under `when`: more about the entry (why an invite or a share link no longer works). */
  details?: ReactNode;
  /**
   * What one of its actions opened (a share link's embed code): after the actions, across the
   * entry's width, so that it follows its button in reading and Tab order.
   */
  opened?: ReactNode;
}) {
  return (
    <li className={props.ended ? "session ended" : "session"} data-testid={props.testId}>
      <div>
        <strong>{props.name}</strong>
        {props.badge}
        <p className="muted small">{props.when}</p>
        {props.details}
      </div>
      {props.action}
      {props.opened && <div className="session-opened">{props.opened}</div>}
    </li>
  );
}

/**
 * Revokes one entry; `label` names it for assistive technology. While `busy` (a revocation
 * runs) it is held, not disabled: pressed from the keyboard, it keeps the focus.
 */
export function RevokeButton({
  label,
  busy,
  revoking = false,
  onRevoke,
}: {
  label: string;
  busy: boolean;
  revoking?: boolean;
  onRevoke: () => void;
}) {
  return (
    <ActionButton label={label} busy={busy} onClick={onRevoke}>
      {revoking ? "Revoking…" : "Revoke"}
    </ActionButton>
  );
}
