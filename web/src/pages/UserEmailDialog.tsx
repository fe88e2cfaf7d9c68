import { useId, useRef, useState, type FormEvent } from "react";
import { changeUser } from "../api/auth";
import { ApiError, errorSentence } from "../api/errors";
import { LIMITS } from "../api/limits";
import type { UserView } from "../api/schema";
import { Modal } from "../components/ConfirmDialog";
import { InputField } from "../components/Field";
import { SubmitButton } from "../components/SubmitButton";
import { useAction } from "../lib/useAction";

/**
 * An administrator's change of the email a user signs in with (a typo at registration): the
 * new email, refused here (another account's, malformed) to be typed again. The user's
 * sessions stay signed in; the old email no longer signs in.
 */
export function UserEmailDialog({
  user,
  onChanged,
  onCancel,
}: {
  user: UserView;
  onChanged: (updated: UserView) => void;
  onCancel: () => void;
}) {
  const titleId = useId();
  const field = useRef<HTMLInputElement>(null);
  const [email, setEmail] = useState(user.email);
  const { running, error, run } = useAction();

  const refused = (err: unknown) =>
    err instanceof ApiError && err.code === "email_taken" ? "Another account has this email." : errorSentence(err);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const changed = await run("email", refused, async () => {
      onChanged(await changeUser(user.id, { email: email.trim() }));
    });
    if (!changed) field.current?.focus(); // refused: back at the email, to type it again
  }

  return (
    <Modal labelledBy={titleId} initialFocus={field} onCancel={running ? null : onCancel}>
      <h2 id={titleId}>Change the email of {user.email}</h2>
      <form className="form compact" onSubmit={(e) => void onSubmit(e)}>
        <p className="muted">
          They sign in with the new email from now on, and no longer with this one. Their sessions stay signed in.
        </p>
        <InputField
          ref={field}
          label="New email"
          type="email"
          autoComplete="off"
          required
          maxLength={LIMITS.email}
          value={email}
          error={error}
          onChange={setEmail}
        />
        <div className="modal-actions">
          <button type="button" className="button" onClick={onCancel} disabled={running !== null}>
            Cancel
          </button>
          <SubmitButton className="button primary" busy={running !== null}>
            Change email
          </SubmitButton>
        </div>
      </form>
    </Modal>
  );
}
