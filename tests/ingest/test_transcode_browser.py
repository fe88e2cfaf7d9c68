"""The ladder in a real browser: Chromium's Media Source Extensions take it, switching rungs.

A player (hls.js) feeds a video ``SourceBuffer`` the init segment of a rung and then its
media segments, and switches rung at segment boundaries by appending the other rung's
init segment; the chosen audio track goes into a second ``SourceBuffer`` beside it. This
test does exactly that by hand, with the ``CODECS`` string the master playlist
advertises: segment 1 from 240p, segment 2 from 480p, segment 3 from 360p, and the whole
default audio track. If the codec strings were wrong, the segments not CMAF, or the
rungs' key frames and timestamps not aligned, Chromium would refuse a type, fail an
append or leave a gap in what is buffered; then the video must play past the switches.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import transcode_media
from playwright.async_api import Route, async_playwright

from harness.tools import require_tool
from streamstack.ingest.transcoding.pipeline import transcode
from streamstack.ingest.transcoding.results import TranscodeOptions

ORIGIN = "http://media.test"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]
TYPES = {".m3u8": "application/vnd.apple.mpegurl", ".mp4": "video/mp4", ".m4s": "video/mp4"}

#: Appends init + segment per entry of ``plan`` ([rung, segment file, codecs]) to one
#: SourceBuffer and ``sound`` (the audio rendition's init and segments) to another, then
#: plays muted until past ``until`` seconds; answers what it saw.
PLAYER = """
async ([plan, sound, until]) => {
  const video = document.createElement("video");
  video.muted = true;
  document.body.appendChild(video);
  const source = new MediaSource();
  video.src = URL.createObjectURL(source);
  await new Promise((resolve) => source.addEventListener("sourceopen", resolve, { once: true }));
  const supported = plan.map(([, , codecs]) => MediaSource.isTypeSupported(`video/mp4; codecs="${codecs}"`));
  const buffer = source.addSourceBuffer(`video/mp4; codecs="${plan[0][2]}"`);
  const audio = source.addSourceBuffer('audio/mp4; codecs="mp4a.40.2"');
  const append = (target, bytes) => new Promise((resolve, reject) => {
    target.addEventListener("updateend", resolve, { once: true });
    target.addEventListener("error", () => reject(new Error("append failed")), { once: true });
    target.appendBuffer(bytes);
  });
  const fetched = async (path) => new Uint8Array(await (await fetch(path)).arrayBuffer());
  for (const [rung, segment, codecs] of plan) {
    buffer.changeType(`video/mp4; codecs="${codecs}"`);
    await append(buffer, await fetched(`/hls/${rung}/init.mp4`));
    await append(buffer, await fetched(`/hls/${rung}/${segment}`));
  }
  for (const path of sound) await append(audio, await fetched(path));
  source.endOfStream();
  const ranges = [];
  for (let i = 0; i < video.buffered.length; i++) ranges.push([video.buffered.start(i), video.buffered.end(i)]);
  await video.play();
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`stuck at ${video.currentTime}`)), 15000);
    video.addEventListener("timeupdate", () => { if (video.currentTime > until) { clearTimeout(timer); resolve(); } });
    video.addEventListener("error", () => reject(new Error(`media error ${video.error && video.error.code}`)));
  });
  return { supported, ranges, width: video.videoWidth, error: video.error && video.error.code };
}
"""


async def test_chromium_plays_the_ladder_switching_rung_at_every_segment(tmp_path: Path) -> None:
    chromium = require_tool("chromium", "the browser test plays the ladder in Debian's Chromium")
    source = transcode_media.h264_mp4(tmp_path, width=640, height=480)
    out = tmp_path / "out"
    result = transcode(source, out, TranscodeOptions(segment_seconds=1.0, preset="veryfast"))
    # The variant's CODECS name its sound too; the rung's own files hold the picture only.
    codecs = {rung.name: rung.codecs.removesuffix(",mp4a.40.2") for rung in result.renditions}
    assert len(codecs) == 3 and all("mp4a" not in value for value in codecs.values())
    track = f"hls/{result.audio[0].name}/"
    sound = [f"/{path}" for path in result.files if path.startswith(track)]
    assert sound[0].endswith("/init.mp4") and len(sound) == result.audio[0].segment_count + 2
    sound = sound[:-1]  # without its playlist
    plan = [
        ["240p", "seg_00001.m4s", codecs["240p"]],
        ["480p", "seg_00002.m4s", codecs["480p"]],
        ["360p", "seg_00003.m4s", codecs["360p"]],
    ]

    async def serve(route: Route) -> None:
        path = out / route.request.url.removeprefix(ORIGIN + "/")
        if path.suffix not in TYPES or not path.is_file():
            await route.fulfill(status=404, body="")
            return
        await route.fulfill(status=200, body=path.read_bytes(), content_type=TYPES[path.suffix])

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium, headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = await browser.new_page()
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            await page.route(f"{ORIGIN}/**", serve)
            await page.route(
                f"{ORIGIN}/",
                lambda r: r.fulfill(
                    status=200, body="<html><body></body></html>", content_type="text/html"
                ),
            )
            await page.goto(f"{ORIGIN}/")
            seen = await page.evaluate(PLAYER, [plan, sound, result.duration_seconds - 0.5])
        finally:
            await browser.close()
    assert seen["supported"] == [True, True, True]
    assert seen["error"] is None
    # One continuous buffered range from the start to the end: no gap at the switches.
    assert len(seen["ranges"]) == 1, seen["ranges"]
    start, end = seen["ranges"][0]
    assert start == pytest.approx(0.0, abs=0.1)
    assert end == pytest.approx(result.duration_seconds, abs=0.1)
    assert errors == []
