import { useLayoutEffect, useRef, type ReactNode } from "react";
import { LIMITS } from "../api/limits";
import { InputField, type InputFieldProps } from "./Field";

/**
 * An account's email, as signing in and registering ask for it;
 * `autoComplete` tells the browser which of the two this is.
 */
export function EmailField({
  autoComplete,
  ...input
}: Omit<InputFieldProps, "label" | "name" | "type" | "required" | "autoComplete"> & {
  autoComplete: "username" | "email";
}) {
  return <InputField label="Email" name="email" type="email" autoComplete={autoComplete} required {...input} />;
}

/** What a password field shows and reports. */
interface PasswordFieldProps {
  label: ReactNode;
  value: string;
  onChange: (password: string) => void;
  name?: string;
  hint?: ReactNode;
  error?: string | null;
}

/** The password an account has now (signing in, changing it): `current-password`, so the browser may fill it in. */
export function CurrentPasswordField(props: PasswordFieldProps) {
  const field = useFocusOnError(props.error);
  return <InputField {...props} ref={field} type="password" autoComplete="current-password" required />;
}

/**
 * A password field's ref that takes the focus when the field is refused (a wrong password,
 * one too easy to guess), to type it again there rather than Tab back from the form's button
 * (which keeps the focus while the request runs). A layout effect: the focus moves in the same
 * commit the error shows in, not a task later, when a keyboard may have moved on.
 */
function useFocusOnError(error: string | null | undefined) {
  const field = useRef<HTMLInputElement>(null);
  useLayoutEffect(() => {
    if (error) field.current?.focus();
  }, [error]);
  return field;
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
  const field = useFocusOnError(props.error);
  return (
    <InputField
      {...props}
      ref={field}
      hint={hint ?? passwordRule()}
      type="password"
      autoComplete="new-password"
      required
      minLength={LIMITS.passwordMin}
      maxLength={LIMITS.passwordMax}
    />
  );
}
