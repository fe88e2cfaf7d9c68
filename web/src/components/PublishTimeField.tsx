import { Field } from "./Field";

/** `iso` as a `datetime-local` input shows it: the viewer's wall-clock time, to the minute. */
export function localInputValue(iso: string | null | undefined): string {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  // toISOString writes UTC: shifted by the zone's offset, it writes the local wall clock.
  return new Date(date.getTime() - date.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

/**
 * The instant a `datetime-local` value names in the viewer's time zone, as RFC 3339 in UTC
 * (what the API takes); null when it names none. A date-time without an offset is local
 * time to `Date`, so the zone is the browser's.
 */
export function instantOf(value: string): string | null {
  const date = new Date(value);
  return value && !Number.isNaN(date.getTime()) ? date.toISOString() : null;
}

/**
 * What is wrong with a publish time picked (a `datetime-local` value), said so the admin
 * knows what to pick; null when it names a future instant. How far ahead it may be is the
 * server's to say (it refuses a typo's year in its own words).
 */
export function publishTimeProblem(value: string): string | null {
  const instant = instantOf(value);
  if (instant === null) return "Pick the day and time it goes public.";
  if (Date.parse(instant) <= Date.now()) return "Pick a time in the future.";
  return null;
}

/** The viewer's time zone by name ("Europe/Paris"), which the chosen time is read in. */
function zoneName(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "your time zone";
}

/**
 * When a draft goes public by itself, picked in the viewer's time zone (which it names):
 * the library's Schedule and the upload form's alike.
 */
export function PublishTimeField({
  value,
  onChange,
  disabled,
  error,
}: {
  value: string;
  onChange: (value: string) => void;
  disabled: boolean;
  error?: string | null;
}) {
  return (
    <Field label="Publish at" hint={`In your time zone (${zoneName()}).`} error={error}>
      {(control) => (
        <input {...control} type="datetime-local" value={value} disabled={disabled} onChange={(e) => onChange(e.target.value)} />
      )}
    </Field>
  );
}
