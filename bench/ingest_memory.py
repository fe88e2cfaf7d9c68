"""Item 5: ingest of a 1 GiB generated video: peak memory, and what probing reads.

For an MP4 with its ``moov`` index at the start and one with it at the end (the usual
output of a camera or of FFmpeg without ``+faststart``), each uploaded once to a fresh
``streamstack dev`` process (embedded backends) as a streamed multipart form post:

* peak RSS of the process serving ingest (``VmHWM``, against its RSS before the upload),
  and the largest RSS seen of its child processes (the probe workers, sampled every 50 ms);
* bytes read by the probe and thumbnail ÷ file size, from ingest's own ``probed`` log
  line (it counts every byte it serves to the probe worker).

The moov-at-end file is then rewritten with its index first (faststart); that copy reads
the whole file by design and is not part of "probe + thumbnail".
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from bench.media import MIB, generate_video
from bench.plan import BenchPlan
from bench.processes import BenchKeys, Service, descendants, peak_rss_bytes, rss_bytes
from bench.report import BenchReport, Quantity, Row

NAME = "ingest"
VIDEO_BYTES = 1024 * MIB
QUICK_VIDEO_BYTES = 64 * MIB
BOUNDARY = "streamstack-bench-boundary-7d1e4f"


class MemoryWatch:
    """Samples the RSS of a process's children in a thread while an upload runs."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.pid = pid
        self.interval = interval
        self.children_peak = 0
        self.parent_peak_sampled = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.parent_peak_sampled = max(self.parent_peak_sampled, rss_bytes(self.pid))
            for child in descendants(self.pid):
                self.children_peak = max(self.children_peak, rss_bytes(child))
            self._stop.wait(self.interval)

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def form_body(video: Path, title: str) -> tuple[Iterator[bytes], int]:
    """A multipart/form-data body streamed from ``video``, and its exact length."""
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="title"\r\n\r\n{title}\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="{video.name}"\r\nContent-Type: video/mp4\r\n\r\n'
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()

    def chunks() -> Iterator[bytes]:
        yield head
        with video.open("rb") as source:
            while chunk := source.read(MIB):
                yield chunk
        yield tail

    return chunks(), len(head) + video.stat().st_size + len(tail)


def probed_lines(log: Path) -> list[dict[str, Any]]:
    """The ``probed`` events ingest logged (JSON log lines)."""
    found = []
    for line in log.read_text(errors="replace").splitlines():
        if '"probed"' in line:
            event = json.loads(line)
            if event.get("event") == "probed":
                found.append(event)
    return found


def ingest_once(workdir: Path, keys: BenchKeys, name: str, video: Path) -> dict[str, Any]:
    """Upload ``video`` to a fresh dev process; what it cost."""
    with Service(name, workdir, keys, command="dev") as service:
        time.sleep(1)  # let start-up allocations settle before the baseline is taken
        before = rss_bytes(service.pid)
        token = keys.access_token(role="admin", user_id=str(uuid.uuid4()))
        body, length = form_body(video, f"Bench {name}")
        began = time.monotonic()
        with MemoryWatch(service.pid) as watch:
            response = httpx.post(
                f"{service.url}/api/v1/ingest/upload",
                content=body,
                headers={
                    "Authorization": f"Bearer {token}",
                    "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
                    "Content-Length": str(length),
                },
                timeout=httpx.Timeout(600, connect=10),
            )
        seconds = time.monotonic() - began
        if response.status_code != 201:
            raise RuntimeError(f"upload answered {response.status_code}: {response.text[:500]}")
        peak = peak_rss_bytes(service.pid)
        item = response.json()
    probes = probed_lines(service.log_path)
    if len(probes) != 1:
        raise RuntimeError(f"expected one probed log line, found {len(probes)}")
    return {
        "file_bytes": video.stat().st_size,
        "stored_bytes": item["size_bytes"],
        "seconds": seconds,
        "rss_before": before,
        "peak_rss": peak,
        "peak_rss_sampled": watch.parent_peak_sampled,
        "children_peak_rss": watch.children_peak,
        "probe_bytes_read": probes[0]["bytes_read"],
        "probe_range_reads": probes[0]["range_reads"],
        "item": {k: item.get(k) for k in ("duration_seconds", "video_codec", "width", "height")},
    }


def run(plan: BenchPlan) -> BenchReport:
    workdir = plan.scratch(NAME)
    keys = BenchKeys(workdir / "keys")
    size = QUICK_VIDEO_BYTES if plan.quick else VIDEO_BYTES
    report = BenchReport(
        NAME,
        f"5. Ingest of a {size / 2**30:g} GiB generated MP4: peak memory and probe reads",
        "httpx streaming the multipart form post from the file (Content-Length set)",
    )
    videos = {
        "moov at start": generate_video(plan.cache / f"start-{size}.mp4", size, faststart=True),
        "moov at end": generate_video(plan.cache / f"end-{size}.mp4", size, faststart=False),
    }
    results = {
        label: ingest_once(workdir, keys, f"dev-{index}", video)
        for index, (label, video) in enumerate(videos.items())
    }
    for label, result in results.items():
        file_bytes = Quantity("file", result["file_bytes"], "B")
        report.rows += [
            Row(
                f"{label}: probe + thumbnail bytes read ÷ file size",
                Quantity("read", result["probe_bytes_read"], "B"),
                file_bytes,
            ),
            Row(
                f"{label}: peak RSS of the ingest process (VmHWM) ÷ before the upload",
                Quantity("peak", result["peak_rss"], "B"),
                Quantity("before", result["rss_before"], "B"),
            ),
            Row(
                f"{label}: peak RSS of the ingest process ÷ file size",
                Quantity("peak", result["peak_rss"], "B"),
                file_bytes,
            ),
            Row(
                f"{label}: largest probe worker RSS (sampled)",
                Quantity("worker", result["children_peak_rss"], "B"),
                kind="value",
            ),
        ]
        report.notes.append(
            f"{label}: {result['probe_range_reads']} range reads by the probe; upload, probe"
            f"{', faststart' if label == 'moov at end' else ''} and registration took "
            f"{result['seconds']:.1f} s; stored {result['stored_bytes']:,} bytes"
        )
    report.notes.append(
        "video: MPEG-4 Part 2, 1920x1080, all key frames of noise (generated with PyAV); "
        "one fresh `streamstack dev` process per file (embedded backends, local directory)"
    )
    report.raw = results
    return report
