import { useId, useState, type FormEvent } from "react";
import { getItem, updateItem } from "../api/catalogue";
import { ApiError } from "../api/errors";
import type { CatalogueItem } from "../api/schema";
import { ActionButton } from "../components/ActionButton";
import { FormError } from "../components/ErrorMessage";
import { DoneNotice, type Notice } from "../components/FocusedMessage";
import { instantOf, localInputValue, PublishTimeField, publishTimeProblem } from "../components/PublishTimeField";
import { SubmitButton } from "../components/SubmitButton";
import { formatDate } from "../lib/format";
import { useAction } from "../lib/useAction";

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
    const problem = publishTimeProblem(when);
    if (problem !== null) return action.fail(problem);
    void change("schedule", instantOf(when), (updated) => `Goes public ${formatDate(updated.publish_at)}.`);
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
          <PublishTimeField value={when} onChange={pick} disabled={busy} />
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
