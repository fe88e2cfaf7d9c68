import { useLayoutEffect, useRef, useState, type ReactNode } from "react";
import { ApiError } from "../api/errors";
import { LIMITS } from "../api/limits";
import { InputField, type InputFieldProps } from "./Field";

/**
 * An account's email, as signing in, registering and changing it ask for it;
 * `autoComplete` tells the browser which this is.
 */
export function EmailField({
  autoComplete,
  label = "Email",
  ...input
}: Omit<InputFieldProps, "label" | "name" | "type" | "required" | "autoComplete"> & {
  autoComplete: "username" | "email";
  label?: ReactNode;
}) {
  return <RefusableInput label={label} name="email" type="email" autoComplete={autoComplete} required {...input} />;
}

/**
 * A display name being chosen (registering, on the Account page, asked for before a first
 * comment): the server may refuse one that could pass for an admin's or an email address,
 * told at the field (`nameRefused`).
 */
export function DisplayNameField(props: Omit<InputFieldProps, "type" | "autoComplete" | "maxLength">) {
  return <RefusableInput type="text" autoComplete="nickname" maxLength={LIMITS.displayName} {...props} />;
}

/** Whether the server refused a display name as such (its detail says why, at the name's field). */
export function nameRefused(err: unknown): boolean {
  return err instanceof ApiError && (err.code === "display_name_reserved" || err.code === "display_name_email");
}

/** What a password field shows and reports. */
interface PasswordFieldProps {
  label: ReactNode;
  value: string;
  onChange: (password: string) => void;
  name?: string;
  hint?: ReactNode;
  error?: string | null;
  /** Focused as it shows: the first field of a step that replaced the button pressed. */
  autoFocus?: boolean;
}

/** The password an account has now (signing in, changing it): `current-password`, so the browser may fill it in. */
export function CurrentPasswordField(props: PasswordFieldProps) {
  return <RefusableInput {...props} type="password" required autoComplete="current-password" />;
}

/**
 * An input the server may refuse (a wrong password, one too easy to guess, an email taken):
 * refused, it takes the focus, to type it again there rather than Tab back from the form's
 * button (which keeps the focus while the request runs); moving there, a screen reader says
 * the field and its error. When the focus is there already (Enter pressed in the field)
 * nothing moves and nothing was said: the error is then said in an alert of its own.
 */
export function RefusableInput({ error, ...props }: InputFieldProps) {
  const { field, said } = useFocusOnError(error);
  return (
    <>
      <InputField {...props} error={error} ref={field} />
      {/* Only with words: an empty alert is one more "alert" a screen reader lists, saying nothing. */}
      {said && (
        <span className="visually-hidden" role="alert">
          {said}
        </span>
      )}
    </>
  );
}

/**
 * A refused field's ref, focused when the error shows (a layout effect: in the same commit the
 * error shows in, not a task later, when a keyboard may have moved on), and what is to be said
 * aloud: the error, when the field had the focus already as it came.
 */
function useFocusOnError(error: string | null | undefined) {
  const field = useRef<HTMLInputElement>(null);
  const [said, setSaid] = useState<string | null>(null);
  useLayoutEffect(() => {
    const already = document.activeElement === field.current;
    if (error && !already) field.current?.focus();
    setSaid(error && already ? error : null);
  }, [error]);
  return { field, said };
}

/** How long a new password may be, from the API's generated limits: "8 to 128 characters". */
export function passwordLength(): string {
  return `${LIMITS.passwordMin} to ${LIMITS.passwordMax} characters`;
}

/**
 * What a new password must be, told under its field: its length, and not easy to guess (the
 * server refuses a common or guessable one, which the length alone did not warn of).
 */
export function passwordRule(): string {
  return `${passwordLength()}, not easy to guess.`;
}

/**
 * A password being chosen (registration, change, reset): the API's length
 * limits and that it must not be easy to guess, told under the field before
 * anything is sent (its hint, unless given another), the limits enforced by
 * the browser, and `new-password` so the browser may suggest a strong one.
 */
export function NewPasswordField({ hint, ...props }: PasswordFieldProps) {
  return (
    <RefusableInput
      {...props}
      hint={hint ?? passwordRule()}
      type="password"
      required
      autoComplete="new-password"
      minLength={LIMITS.passwordMin}
      maxLength={LIMITS.passwordMax}
    />
  );
}

/**
 * A code that proves the authenticator app (or a recovery code) is at hand: six digits from
 * the app (a numeric keyboard, and the browser may fill in a one-time code), or, when
 * `recovery`, a recovery code of letters and digits. Spaces and dashes are fine: the server
 * ignores them. Never remembered by the browser beyond this form.
 */
export function TwoFactorCodeField({
  recovery = false,
  label,
  ...props
}: Omit<PasswordFieldProps, "label"> & { recovery?: boolean; label?: ReactNode }) {
  return (
    <RefusableInput
      {...props}
      label={label ?? (recovery ? "Recovery code" : "Code from your authenticator app")}
      type="text"
      required
      inputMode={recovery ? "text" : "numeric"}
      autoComplete="one-time-code"
      autoCapitalize="none"
      spellCheck={false}
      maxLength={LIMITS.twoFactorCode}
    />
  );
}
