import { useEffect, useState } from "react";
import { Link } from "react-router";
import { getTranscodingStatus } from "../api/ingest";
import { usePageVisible } from "../lib/usePageVisible";
import type { TranscodingStatus } from "../api/schema";

/** How often the library reads the transcoding queue again while jobs wait or run (or it could not be read). */
export const TRANSCODING_POLL_MS = 10_000;
/** The library showing the videos whose transcoding failed. */
const FAILED_PATH = "/admin/library?processing=failed";

function counted(n: number, one: string, many: string): string {
  return n === 1 ? `1 ${one}` : `${n.toLocaleString("en")} ${many}`;
}

/** Every job in the queue: waiting, running, and held by a worker no longer seen. */
function queued(status: TranscodingStatus): number {
  return status.waiting + status.running + status.stranded;
}

/**
 * The status line: "Transcoding: 3 waiting, 1 in progress · 2 workers", the jobs a killed
 * worker still holds and when they are queued again (so nobody restarts anything for them),
 * and what a worker's jobs wait for while a service they need is down ("· waiting: the object
 * store's disk is full … — trying again"), so a held job is not taken for a slow one.
 */
export function transcodingLine(status: TranscodingStatus): string {
  const { waiting, running, stranded, workers } = status;
  const counts = [
    waiting && `${waiting.toLocaleString("en")} waiting`,
    running && `${running.toLocaleString("en")} in progress`,
    stranded &&
      `${counted(stranded, "held by a worker", "held by workers")} that stopped answering (queued again within ${status.requeued_within_seconds} s)`,
  ];
  const jobs = counts.filter(Boolean).join(", ") || "nothing waiting";
  const seen = workers.length === 0 ? "no worker running" : counted(workers.length, "worker", "workers");
  const busy = status.state === "busy" ? " (all busy: more workers would go faster)" : "";
  const held = workers.find((worker) => worker.waiting)?.waiting;
  return `Transcoding: ${jobs} · ${seen}${busy}${held ? ` · ${held}` : ""}`;
}

/**
 * The transcoding queue's status, read when the page shows and again every
 * `TRANSCODING_POLL_MS` while jobs wait or run or the read failed; not while the page is
 * hidden (it reads at once when shown again), and at once when `followed` changes.
 * `failed`: the last read failed.
 */
function useTranscodingStatus(followed: number): { status: TranscodingStatus | null; failed: boolean } {
  const visible = usePageVisible();
  const [status, setStatus] = useState<TranscodingStatus | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    if (!visible) return;
    const controller = new AbortController();
    let timer = 0;
    const again = () => {
      timer = window.setTimeout(read, TRANSCODING_POLL_MS);
    };
    const read = () => {
      getTranscodingStatus(controller.signal).then(
        (fresh) => {
          setStatus(fresh);
          setFailed(false);
          if (queued(fresh) > 0) again();
        },
        () => {
          if (controller.signal.aborted) return;
          setFailed(true);
          again();
        },
      );
    };
    read();
    return () => {
      controller.abort();
      window.clearTimeout(timer);
    };
  }, [visible, followed]);
  return { status, failed };
}

/** "5 failed to transcode", leading to the failed videos. */
function FailedLink({ failed }: { failed: number }) {
  return (
    <Link to={FAILED_PATH} data-testid="failed-transcodes">
      {failed.toLocaleString("en")} failed to transcode
    </Link>
  );
}

/**
 * Whether transcoding works, above the library: how many videos wait and are transcoded,
 * how many workers run, how many `failed` (a link to them), and a warning when videos wait
 * and no worker runs to take them (uploads would otherwise sit at "Queued" with nothing
 * saying why). `followed`: how many videos the page shows transcoding; when it changes (one
 * queued again, one done), the status is read again.
 */
export function TranscodingStatusLine({ followed = 0, failed = 0 }: { followed?: number; failed?: number }) {
  const { status, failed: unread } = useTranscodingStatus(followed);
  const stalled = status?.state === "no_worker";
  const videos = status ? counted(queued(status), "video is", "videos are") : "";
  return (
    <div role="status" data-testid="transcoding-status">
      {unread && <p className="status-line">Transcoding: the job queue did not answer; trying again shortly.</p>}
      {!unread && status && !stalled && (
        <p className="status-line">
          {transcodingLine(status)}
          {failed > 0 && (
            <>
              {" · "}
              <FailedLink failed={failed} />
            </>
          )}
        </p>
      )}
      {!unread && stalled && (
        <p className="notice warning">
          <strong>Warning:</strong> {videos} waiting to be transcoded, but no transcoding worker is running. Start one with{" "}
          <code>streamstack worker</code> (see “Workers” in the README).
        </p>
      )}
      {(unread || stalled) && failed > 0 && (
        <p className="status-line">
          <FailedLink failed={failed} />
        </p>
      )}
    </div>
  );
}
