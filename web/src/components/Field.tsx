import { useId, type InputHTMLAttributes, type ReactNode, type Ref } from "react";

/** What a Field hands its control: wire these onto the input, select or textarea. */
export interface FieldControl {
  id: string;
  "aria-describedby"?: string;
  "aria-invalid"?: true;
}

/**
 * A label, one control, an optional hint and an optional error, wired for
 * assistive technology: the label names the control, the hint and the error
 * describe it, and an error marks it invalid.
 *
 *   <Field label="Title" error={titleError}>{(c) => <input {...c} value={…} />}</Field>
 */
export function Field({
  label,
  hint,
  error,
  className,
  labelClassName,
  children,
}: {
  label: ReactNode;
  hint?: ReactNode;
  error?: string | null;
  className?: string;
  labelClassName?: string;
  children: (control: FieldControl) => ReactNode;
}) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [hint ? hintId : null, error ? errorId : null].filter(Boolean).join(" ");
  const control: FieldControl = {
    id,
    ...(describedBy ? { "aria-describedby": describedBy } : {}),
    ...(error ? { "aria-invalid": true as const } : {}),
  };
  return (
    <div className={`field${className ? ` ${className}` : ""}`}>
      <label htmlFor={id} className={labelClassName}>
        {label}
      </label>
      {children(control)}
      {hint && (
        <small id={hintId} className="hint">
          {hint}
        </small>
      )}
      {error && (
        <small id={errorId} className="field-error">
          {error}
        </small>
      )}
    </div>
  );
}

/** One choice of a SelectField: the value sent and the words shown. */
export interface Choice {
  value: string;
  label: string;
}

/** What a select among choices shows and reports: the chosen value, the choices, the change. */
export interface ChoiceProps {
  value: string;
  choices: readonly Choice[];
  onChange: (value: string) => void;
}

/** A select among `choices`; `control` wires it to its label (a Field's, or one of its own). */
export function ChoiceSelect({ value, choices, onChange, control }: ChoiceProps & { control: FieldControl }) {
  return (
    <select {...control} value={value} onChange={(e) => onChange(e.target.value)}>
      {choices.map((choice) => (
        <option key={choice.value} value={choice.value}>
          {choice.label}
        </option>
      ))}
    </select>
  );
}

/** A Field whose control is a select among `choices` (e.g. a list's filter or sort order). */
export function SelectField({ label, ...choice }: ChoiceProps & { label: ReactNode }) {
  return <Field label={label}>{(control) => <ChoiceSelect {...choice} control={control} />}</Field>;
}

/** What an InputField takes: its label, hint and error, the text and its change, and any attribute of the input. */
export type InputFieldProps = Omit<InputHTMLAttributes<HTMLInputElement>, "id" | "className" | "value" | "onChange"> & {
  label: ReactNode;
  hint?: ReactNode;
  error?: string | null;
  className?: string;
  value: string;
  onChange: (value: string) => void;
  ref?: Ref<HTMLInputElement>;
};

/**
 * A Field whose control is one text input (an email, a password, a search, a
 * code): the other props go onto the input as written; `className`, `hint` and
 * `error` onto the Field.
 */
export function InputField({ label, hint, error, className, value, onChange, ...input }: InputFieldProps) {
  return (
    <Field label={label} hint={hint} error={error} className={className}>
      {(control) => <input {...control} {...input} value={value} onChange={(e) => onChange(e.target.value)} />}
    </Field>
  );
}

/** The "Search" box of a page's toolbar, which takes the width the other controls leave. */
export function SearchField(props: Omit<InputFieldProps, "label" | "className" | "type">) {
  return <InputField label="Search" className="grow" type="search" {...props} />;
}
