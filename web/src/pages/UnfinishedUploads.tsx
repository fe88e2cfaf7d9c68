import { useCallback, useState } from "react";
import { ActionButton } from "../components/ActionButton";
import { listUsers } from "../api/auth";
import { cancelUpload, listUnfinishedUploads } from "../api/ingest";
import type { UnfinishedUpload, UnfinishedUploadPage } from "../api/schema";
import { useSignedInUserId } from "../auth/useAuth";
import { ConfirmDialog, type ConfirmAnswers } from "../components/ConfirmDialog";
import { ErrorMessage, FormError } from "../components/ErrorMessage";
import { Pagination } from "../components/Pagination";
import { StackedTable } from "../components/StackedTable";
import { formatAge, formatBytes, formatDate, percent } from "../lib/format";
import { useAction } from "../lib/useAction";
import { useAsync } from "../lib/useAsync";

const PAGE_SIZE = 20;

/**
 * Every uploader's uploads that stopped before their last byte: each holds
 * what it stored until it expires. How far each got, how long it has been
 * idle, and a Cancel that frees its storage now. Nothing while there are none.
 * A change of `version` (one of the page's own uploads settled, or got through again after a
 * retry) reads the list again; the upload this page is `resuming` or sending (its id) says so
 * instead of how far it had got.
 */
export function UnfinishedUploads({ version = 0, resuming = null }: { version?: number; resuming?: string | null }) {
  const [page, setPage] = useState(1);
  const fetchPage = useCallback(
    (signal: AbortSignal) => listUnfinishedUploads({ limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE }, signal),
    // eslint-disable-next-line react-hooks/exhaustive-deps -- version is why the list is read again
    [page, version],
  );
  // While a page (re)loads, the last one stays: no flicker after a cancel.
  const { shown: data, error, reload } = useAsync(fetchPage);
  const emails = useUploaderEmails(data);
  const action = useAction();
  const [pending, setPending] = useState<UnfinishedUpload | null>(null);

  async function cancel(upload: UnfinishedUpload) {
    await action.run(upload.id, `Could not cancel “${upload.title}”`, () => cancelUpload(upload.id));
    setPending(null);
    // Cancelled, or gone meanwhile (expired, cancelled by another admin): the list as it is now.
    if (page > 1 && data?.items.length === 1) setPage(page - 1);
    else reload();
  }

  if (!error && (data === null || data.total === 0)) return null;
  return (
    <section className="unfinished-uploads" aria-labelledby="unfinished-title">
      <h2 id="unfinished-title">Unfinished uploads</h2>
      <ErrorMessage error={error} onRetry={reload} />
      <FormError message={action.error} />
      {data && (
        <>
          <p className="hint">
            To resume one, choose its file again above, in the browser that began it; it goes on where it stopped.
          </p>
          <UnfinishedTable
            page={data}
            emails={emails}
            resuming={resuming}
            busy={action.running !== null}
            onCancel={setPending}
          />
          <Pagination
            page={page}
            pageSize={PAGE_SIZE}
            total={data.total}
            onPage={setPage}
            label="Unfinished uploads pages"
          />
        </>
      )}
      {pending && (
        <CancelUploadDialog
          upload={pending}
          busy={action.running === pending.id}
          onConfirm={() => void cancel(pending)}
          onCancel={() => setPending(null)}
        />
      )}
    </section>
  );
}

/**
 * The emails of the page's uploaders, by id (ingest knows users by id only; auth
 * names them). Empty until they arrive, or if they cannot: the rows show ids then.
 */
function useUploaderEmails(page: UnfinishedUploadPage | null): ReadonlyMap<string, string> {
  const ids = [...new Set(page?.items.map((upload) => upload.uploader_id))].sort().join(",");
  const fetchEmails = useCallback(
    (signal: AbortSignal) => {
      if (!ids) return Promise.resolve(new Map<string, string>());
      const wanted = ids.split(",");
      return listUsers({ ids: wanted, limit: wanted.length, offset: 0 }, signal).then(
        (users) => new Map(users.items.map((user) => [user.id, user.email])),
      );
    },
    [ids],
  );
  return useAsync(fetchEmails).data ?? new Map<string, string>();
}

/** One page of unfinished uploads, a row each. */
function UnfinishedTable({
  page,
  emails,
  resuming,
  busy,
  onCancel,
}: {
  page: UnfinishedUploadPage;
  emails: ReadonlyMap<string, string>;
  resuming: string | null;
  busy: boolean;
  onCancel: (upload: UnfinishedUpload) => void;
}) {
  return (
    <StackedTable caption="Unfinished uploads" columns={["Video", "Received", "Activity", "Uploader", "Actions"]}>
      {page.items.map((upload) => (
        <UnfinishedRow
          key={upload.id}
          upload={upload}
          email={emails.get(upload.uploader_id)}
          here={upload.id === resuming}
          busy={busy}
          onCancel={() => onCancel(upload)}
        />
      ))}
    </StackedTable>
  );
}

/**
 * An upload: its title and file, how much of it arrived, when, and who began it: "You", or
 * another admin's email (their id's first characters until it arrives, or if the user is
 * gone: the bare id left the admin guessing whether the upload was their own). One this
 * page is resuming (`here`) shows neither the bytes it had when the list was read nor a
 * Cancel: its progress is the page's own, above. One past its expiry is said to be expired
 * (the server drops it soon), with a Cancel only while it still holds bytes to free: a
 * cancelled one was listed until then as "0 B … expires" a time already past, with a Cancel.
 */
function UnfinishedRow({
  upload,
  email,
  here,
  busy,
  onCancel,
}: {
  upload: UnfinishedUpload;
  email: string | undefined;
  here: boolean;
  busy: boolean;
  onCancel: () => void;
}) {
  const mine = useSignedInUserId() === upload.uploader_id;
  // As of when the row was first shown: the list is read again whenever it may have changed.
  const [shownAt] = useState(Date.now);
  const expired = Date.parse(upload.expires_at) <= shownAt;
  return (
    <tr data-testid="unfinished-upload">
      <td data-label="Video">
        {/* Cut short if one long word (styles.css): the whole in the title attribute. */}
        <strong className="cut-long-word" title={upload.title}>
          {upload.title}
        </strong>
        {upload.replaces && <span className="muted small"> · its new video file</span>}
        {upload.file_name && (
          <p className="muted small cut-long-word" title={upload.file_name}>
            {upload.file_name}
          </p>
        )}
      </td>
      <td data-label="Received">
        {here ? <p className="small">Resuming on this page: see its progress above.</p> : <Received upload={upload} />}
      </td>
      <td data-label="Activity" className="small">
        Started {formatAge(upload.created_at)} · last bytes {formatAge(upload.last_activity_at)} ·{" "}
        {expired ? "expired" : "expires"} {formatDate(upload.expires_at)}
      </td>
      <td data-label="Uploader" className="small">
        {mine ? "You" : email ? (
          <span className="uploader-email" title={upload.uploader_id}>
            {email}
          </span>
        ) : (
          <code title={upload.uploader_id}>{upload.uploader_id.slice(0, 8)}</code>
        )}
      </td>
      <td data-label="Actions">
        {!here && !(expired && upload.offset === 0) && (
          <ActionButton label={`Cancel “${upload.title}”`} busy={busy} onClick={onCancel}>
            Cancel
          </ActionButton>
        )}
      </td>
    </tr>
  );
}

/** How much of the upload had arrived when the list was read. */
function Received({ upload }: { upload: UnfinishedUpload }) {
  const pct = percent(upload.offset, upload.length);
  return (
    <>
      <div
        className="progress"
        role="progressbar"
        aria-label={`Received of “${upload.title}”`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={pct}
      >
        <div className="progress-fill" style={{ width: `${pct}%` }} />
      </div>
      <p className="progress-text small">
        {formatBytes(upload.offset)} of {formatBytes(upload.length)} · {pct} %
      </p>
    </>
  );
}

/** Asks before cancelling `upload`: whoever began it has to send the whole file again. */
function CancelUploadDialog({ upload, ...answers }: ConfirmAnswers & { upload: UnfinishedUpload }) {
  return (
    <ConfirmDialog title="Cancel this upload?" confirmLabel="Cancel upload" destructive {...answers}>
      <p>
        “{upload.title}” stops here: the {formatBytes(upload.offset)} received so far are deleted, and the file
        has to be uploaded again from the start.
      </p>
    </ConfirmDialog>
  );
}
