"""Playback while a video transcodes on the same machine, by the transcoder's niceness.

``streamstack dev`` runs everything in one process with its transcoding worker, as a small
self-hosted server does: the transcoder (a sandboxed child with an encoder thread a rung)
competes with serving for the cores. For each niceness (``STREAMSTACK_TRANSCODE_NICENESS``)
one dev process uploads a generated 1080p30 clip, then in alternating rounds plays 1 MiB
random ranges with wrk alone, and again right after asking for the item to be transcoded
again (``POST …/transcode?force=true``: the whole ladder, no early pass), then waits for
that transcode to finish and times it. Meanwhile one user signs in again and again, one
sign-in at a time (argon2id in the hashing workers, themselves at nice 19). Every ratio is
to the same process's playback or sign-ins alone in the same rounds; the transcode's time
is the cost of its lower priority.
"""

from __future__ import annotations

import statistics
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from bench.ingest_memory import BOUNDARY, form_body
from bench.load import WrkResult
from bench.login_storm import (
    EMAIL,
    NO_THROTTLE,
    PASSWORD,
    playback,
    register,
    streaming_rows,
)
from bench.media import MEDIA_KEY, OBJECT_BYTES, object_file, store_local
from bench.plan import BenchPlan
from bench.processes import BenchKeys, Service
from bench.report import BenchReport, Quantity, Row
from bench.transcode import make_source

NAME = "transcode_contention"
#: The niceness values compared: the old behaviour (0), the default and the lowest priority.
NICENESS = (0, 10, 19)
ROUNDS = 4
#: Playback per side of a round; the transcode of the 10 s clip outlasts it.
SECONDS = 5.0
CLIP_SECONDS = 10.0
QUICK_CLIP_SECONDS = 2.0


class Contended:
    """One dev process, its admin token, its uploaded item and its playback URL."""

    def __init__(self, service: Service, keys: BenchKeys) -> None:
        self.service = service
        self.headers = {
            "Authorization": f"Bearer {keys.access_token(role='admin', user_id=str(uuid.uuid4()))}"
        }
        self.item_id = ""

    def upload(self, video: Path) -> None:
        """Upload ``video`` and wait for its first transcode (warming the worker up)."""
        body, length = form_body(video, "Contention")
        response = httpx.post(
            f"{self.service.url}/api/v1/ingest/upload",
            content=body,
            headers={
                **self.headers,
                "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
                "Content-Length": str(length),
            },
            timeout=httpx.Timeout(600, connect=10),
        )
        response.raise_for_status()
        self.item_id = response.json()["id"]
        self.wait_ready()

    def transcode_again(self) -> float:
        """Queue the whole ladder again; when it was asked (monotonic seconds)."""
        asked = time.monotonic()
        response = httpx.post(
            f"{self.service.url}/api/v1/ingest/items/{self.item_id}/transcode?force=true",
            headers=self.headers,
            timeout=30,
        )
        response.raise_for_status()
        return asked

    def wait_ready(self, timeout: float = 900.0) -> None:
        """Return once the item's transcode is done; raise if it failed or took too long."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            response = httpx.get(
                f"{self.service.url}/api/v1/catalogue/{self.item_id}",
                headers=self.headers,
                timeout=30,
            )
            response.raise_for_status()
            state = response.json()["processing_state"]
            if state == "ready":
                return
            if state == "failed":
                raise RuntimeError(f"transcode failed:\n{self.service.log_tail()}")
            time.sleep(0.1)
        raise RuntimeError(f"transcode not done after {timeout:.0f} s")


class SignIns(threading.Thread):
    """One user signing in over and over while it runs; each sign-in's seconds."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.seconds: list[float] = []
        self._stop_event = threading.Event()

    def run(self) -> None:
        with httpx.Client(timeout=120) as client:
            while not self._stop_event.is_set():
                began = time.monotonic()
                response = client.post(
                    f"{self.url}/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD}
                )
                response.raise_for_status()
                self.seconds.append(time.monotonic() - began)

    def finish(self) -> list[float]:
        """Stop after the sign-in under way; the times."""
        self._stop_event.set()
        self.join()
        return self.seconds


def played_with_sign_ins(
    service_url: str, url: str, seconds: float
) -> tuple[WrkResult, list[float]]:
    """Playback for ``seconds`` while one user signs in again and again."""
    sign_ins = SignIns(service_url)
    sign_ins.start()
    result = playback(url, seconds).wait()
    return result, sign_ins.finish()


def measure(contended: Contended, url: str, seconds: float, rounds: int) -> dict[str, Any]:
    """Alternating rounds of playback and sign-ins alone and during a transcode; each
    transcode's time."""
    playback(url, 1).wait()
    runs: dict[str, Any] = {"alone": [], "during": [], "logins_alone": [], "logins_during": []}
    runs["transcodes"] = []
    for _ in range(rounds):
        result, logins = played_with_sign_ins(contended.service.url, url, seconds)
        runs["alone"].append(result)
        runs["logins_alone"] += logins
        asked = contended.transcode_again()
        time.sleep(0.5)  # the worker takes the job and the sandbox starts the encoders
        result, logins = played_with_sign_ins(contended.service.url, url, seconds)
        runs["during"].append(result)
        runs["logins_during"] += logins
        contended.wait_ready()
        runs["transcodes"].append(time.monotonic() - asked)
    return runs


def run_one(plan: BenchPlan, keys: BenchKeys, niceness: int, clip: Path) -> dict[str, Any]:
    """One dev process at ``niceness``: its rounds."""
    workdir = plan.scratch(NAME)
    settings = {"STREAMSTACK_TRANSCODE_NICENESS": str(niceness), **NO_THROTTLE}
    name = f"dev-nice-{niceness}"
    with Service(name, workdir, keys, command="dev", settings=settings) as service:
        store_local(service.data_dir / "objects", "media", MEDIA_KEY, object_file(plan.cache))
        register(service.url)
        contended = Contended(service, keys)
        contended.upload(clip)
        url = service.url + service.issue_stream_url(MEDIA_KEY, OBJECT_BYTES)
        return measure(contended, url, plan.seconds(SECONDS), 1 if plan.quick else ROUNDS)


def run(plan: BenchPlan) -> BenchReport:
    """Measure every niceness, one process after the other."""
    clip_seconds = QUICK_CLIP_SECONDS if plan.quick else CLIP_SECONDS
    clip = make_source(plan.cache / f"transcode-1080p-{clip_seconds:g}s.mp4", clip_seconds)
    keys = BenchKeys(plan.scratch(NAME) / "keys")
    results = {n: run_one(plan, keys, n, clip) for n in NICENESS}
    report = BenchReport(
        NAME,
        f"Playback during a transcode of a {clip_seconds:g} s 1080p30 clip in the same "
        "`streamstack dev` process, by the transcoder's niceness",
        "wrk (Debian): -c4 lua/ranges.lua (1 MiB ranges) for playback, alone and during; "
        "httpx signing one user in, one sign-in at a time, meanwhile",
    )
    for niceness, runs in results.items():
        alone, during = runs["alone"], runs["during"]
        report.rows += streaming_rows(f"nice {niceness}", "a transcode", alone, during)
        report.rows.append(
            Row(
                f"nice {niceness}: one sign-in, median during a transcode ÷ alone",
                Quantity("during", statistics.median(runs["logins_during"]) * 1000, "ms"),
                Quantity("alone", statistics.median(runs["logins_alone"]) * 1000, "ms"),
            )
        )
        report.rows.append(
            Row(
                f"nice {niceness}: transcode time (asked to ready) ÷ nice 0's",
                Quantity("this", statistics.median(runs["transcodes"]), "s"),
                Quantity("nice 0", statistics.median(results[0]["transcodes"]), "s"),
            )
        )
        for side in ("alone", "during"):
            for result in runs[side]:
                if result.error_count:
                    report.notes.append(f"nice {niceness} {side}: errors {result.errors}")
    report.notes.append(
        "the transcode runs during the whole 'during' playback and past it; the clip is the "
        "transcode bench's (moving pattern with noise), the ladder its five rungs at veryfast"
    )
    report.raw = {
        str(n): {
            "alone": [r.as_json() for r in runs["alone"]],
            "during": [r.as_json() for r in runs["during"]],
            "transcodes": runs["transcodes"],
            "logins_alone": runs["logins_alone"],
            "logins_during": runs["logins_during"],
        }
        for n, runs in results.items()
    }
    return report
