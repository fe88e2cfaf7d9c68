import { useState, type FormEvent } from "react";
import { changePassword, changeProfile } from "../api/auth";
import { ApiError, errorMessage } from "../api/errors";
import { LIMITS } from "../api/limits";
import { useAuth } from "../auth/useAuth";
import { Field } from "../components/Field";
import { NewPasswordField } from "../components/NewPasswordField";

/** The display name shown in the header and here; empty clears it. */
export function DisplayNameForm() {
  const { user, updateUser } = useAuth();
  const [name, setName] = useState(user?.display_name ?? "");
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setBusy(true);
    setMessage(null);
    try {
      const trimmed = name.trim();
      updateUser(await changeProfile(trimmed === "" ? null : trimmed));
      setMessage({ ok: true, text: "Display name saved." });
    } catch (err) {
      setMessage({ ok: false, text: errorMessage(err) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="form compact" onSubmit={(e) => void onSubmit(e)} aria-label="Profile">
      <Field label="Display name" error={message && !message.ok ? message.text : null}>
        {(control) => (
          <input
            {...control}
            type="text"
            autoComplete="nickname"
            maxLength={LIMITS.displayName}
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
        )}
      </Field>
      <div className="button-row">
        <button type="submit" className="button" disabled={busy}>
          Save name
        </button>
        {message?.ok && (
          <span role="status" data-testid="profile-saved">
            {message.text}
          </span>
        )}
      </div>
    </form>
  );
}

/** Needs the current password; the server then signs out every other session. */
export function PasswordForm({ onChanged }: { onChanged: () => void }) {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ field: "current" | "next"; text: string } | null>(null);
  const [done, setDone] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setDone(false);
    try {
      await changePassword(current, next);
      setCurrent("");
      setNext("");
      setDone(true);
      onChanged();
    } catch (err) {
      const wrong = err instanceof ApiError && err.code === "wrong_password";
      setError({ field: wrong ? "current" : "next", text: wrong ? "The current password is not correct." : errorMessage(err) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="form compact" onSubmit={(e) => void onSubmit(e)} aria-label="Change password">
      <Field label="Current password" error={error?.field === "current" ? error.text : null}>
        {(control) => (
          <input
            {...control}
            type="password"
            autoComplete="current-password"
            required
            value={current}
            onChange={(e) => setCurrent(e.target.value)}
          />
        )}
      </Field>
      <NewPasswordField
        label="New password"
        error={error?.field === "next" ? error.text : null}
        value={next}
        onChange={setNext}
      />
      <div className="button-row">
        <button type="submit" className="button" disabled={busy}>
          Change password
        </button>
        {done && (
          <span role="status" data-testid="password-changed">
            Password changed. Every other session was signed out.
          </span>
        )}
      </div>
    </form>
  );
}
