import type { ReactNode } from "react";
import { LIMITS } from "../api/limits";
import { Field } from "./Field";

/**
 * A password being chosen (registration, change, reset): the API's length
 * limits, and `new-password` so the browser may suggest a strong one.
 */
export function NewPasswordField({
  label,
  value,
  onChange,
  name,
  hint,
  error,
}: {
  label: ReactNode;
  value: string;
  onChange: (password: string) => void;
  name?: string;
  hint?: ReactNode;
  error?: string | null;
}) {
  return (
    <Field label={label} hint={hint} error={error}>
      {(control) => (
        <input
          {...control}
          name={name}
          type="password"
          autoComplete="new-password"
          required
          minLength={LIMITS.passwordMin}
          maxLength={LIMITS.passwordMax}
          value={value}
          onChange={(e) => onChange(e.target.value)}
        />
      )}
    </Field>
  );
}
