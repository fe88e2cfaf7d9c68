import { useId, useState, type FormEvent } from "react";
import { getItem, updateItem } from "../api/catalogue";
import { ApiError } from "../api/errors";
import type { CatalogueItem } from "../api/schema";
import { ActionButton } from "../components/ActionButton";
import { FormError } from "../components/ErrorMessage";
import { DoneNotice, type Notice } from "../components/FocusedMessage";
import { Field } from "../components/Field";
import { SubmitButton } from "../components/SubmitButton";
import { formatDate } from "../lib/format";
import { useAction } from "../lib/useAction";

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

/** The viewer's time zone by name ("Europe/Paris"), which the chosen time is read in. */
function zoneName(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "your time zone";
}

/**
 * What the schedule section does: the time picked (a local date-time), checked to be one
 * in the future, then saved or cancelled; the row learns the item, and `said` tells what
 * was done (focused after Cancel schedule, whose button goes with the schedule). A video that went public meanwhile (at its time, or by another admin) is read
 * again so that its row says so, and the refusal tells when.
 */
function useScheduleChange(item: CatalogueItem, onChanged: (item: CatalogueItem) => void) {
  const action = useAction();
  const [when, setWhen] = useState(localInputValue(item.publish_at));
  const [said, setSaid] = useState<Notice | null>(null);

  const change = (key: string, publishAt: string | null, sentence: (updated: CatalogueItem) => string) =>
    action.run(key, "Could not change the schedule", async () => {
      setSaid(null);
      const updated = await updateItem(item.id, { publish_at: publishAt }).catch(async (error: unknown) => {
        if (!(error instanceof ApiError && error.code === "already_published")) throw error;
        const now = await getItem(item.id);
        onChanged(now);
        throw new Error(`it went public at ${formatDate(now.published_at)} already.`);
      });
      onChanged(updated);
      setWhen(localInputValue(updated.publish_at));
      setSaid({ text: sentence(updated), focus: key === "cancel" });
    });
  const pick = (value: string) => {
    setWhen(value);
    action.fail(null);
  };
  const schedule = () => {
    const instant = instantOf(when);
    if (instant === null) return action.fail("Pick the day and time it goes public.");
    if (Date.parse(instant) <= Date.now()) return action.fail("Pick a time in the future.");
    void change("schedule", instant, (updated) => `Goes public ${formatDate(updated.publish_at)}.`);
  };
  const cancel = () => void change("cancel", null, () => "Not scheduled any more: it stays a draft.");
  return { action, when, said, pick, schedule, cancel };
}

/**
 * On the library's edit form of a draft: when it goes public by itself (a lecture at 9:00
 * on Monday, a premiere). The time is picked in the viewer's time zone and sent as an
 * instant; Cancel schedule keeps it a draft. Tells the server's refusal (a time past by
 * the time it arrived, a video published meanwhile) in its words. Nothing for a published
 * video (publishing by hand cleared its schedule), but the refusal that found it published.
 */
export function LibrarySchedule({ item, onChanged }: { item: CatalogueItem; onChanged: (item: CatalogueItem) => void }) {
  const headingId = useId();
  const { action, when, said, pick, schedule, cancel } = useScheduleChange(item, onChanged);
  const draft = item.status === "draft";
  if (!draft && action.error === null) return null;
  const busy = action.running !== null;

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    schedule();
  }

  return (
    <section className="library-schedule" aria-labelledby={headingId} data-testid="library-schedule">
      <h3 id={headingId}>Schedule</h3>
      {draft && (
        <form className="form compact" onSubmit={submit} aria-label={`Schedule ${item.title}`}>
          <Field label="Publish at" hint={`In your time zone (${zoneName()}).`}>
            {(control) => (
              <input
                {...control}
                type="datetime-local"
                value={when}
                disabled={busy}
                onChange={(e) => pick(e.target.value)}
              />
            )}
          </Field>
          <div className="button-row">
            <SubmitButton className="button primary" busy={busy}>
              {action.running === "schedule" ? "Scheduling…" : item.publish_at ? "Change schedule" : "Schedule"}
            </SubmitButton>
            {item.publish_at && (
              <ActionButton busy={busy} onClick={cancel}>
                Cancel schedule
              </ActionButton>
            )}
          </div>
        </form>
      )}
      <div aria-live="polite" className="status-line small">
        <DoneNotice message={said} />
      </div>
      <FormError message={action.error} />
    </section>
  );
}
