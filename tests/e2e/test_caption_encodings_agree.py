"""Chromium's ``TextDecoder`` and the server read a caption file named to be in an encoding
alike: every single byte and every two-byte pair (lead 0x81-0xFE, trail 0x40-0xFE) of each
of ``CAPTION_ENCODINGS``, decoded by both, give the same characters or are refused by both,
where the server's refusals include what either side reads as a C1 control (the SPA's
preview refuses those too). The disagreements left are counted and named in
``contracts/caption_encodings.py``: a few rare characters; more would be a codec chosen
wrongly, or a browser that changed.
"""

from __future__ import annotations

import re

import pytest

from e2e.spa_rig import chromium
from streamstack.contracts.caption_encodings import CAPTION_ENCODINGS

#: Sequences the two read apart, at most, by encoding (see the module's docstring there).
KNOWN_APART = {"windows-1255": 1, "shift_jis": 583, "gbk": 21, "big5": 207}
_C1 = re.compile("[\x80-\x9f]")
_DECODE_ALL = """([label, samples]) => {
  const decoder = new TextDecoder(label, { fatal: true });
  return samples.map((hex) => {
    const bytes = new Uint8Array(hex.match(/../g).map((pair) => parseInt(pair, 16)));
    try { return decoder.decode(bytes); } catch { return null; }
  });
}"""


def samples(label: str) -> list[bytes]:
    single = [bytes([byte]) for byte in range(256)]
    if label.startswith("windows-"):
        return single
    pairs = [bytes([lead, trail]) for lead in range(0x81, 0xFF) for trail in range(0x40, 0xFF)]
    return single + pairs


def python_reads(data: bytes, codec: str) -> str | None:
    try:
        text = data.decode(codec)
    except UnicodeDecodeError:
        return None
    return None if _C1.search(text) else text


@pytest.mark.timeout(120)
async def test_the_browser_and_the_server_read_each_encoding_alike() -> None:
    async with chromium() as browser:
        page = await browser.new_page()
        apart: dict[str, int] = {}
        for encoding in CAPTION_ENCODINGS:
            if encoding.label == "utf-8":
                continue
            sent = samples(encoding.label)
            read = await page.evaluate(_DECODE_ALL, [encoding.label, [s.hex() for s in sent]])
            browser_reads = [None if text is None or _C1.search(text) else text for text in read]
            server_reads = [python_reads(data, encoding.codec) for data in sent]
            apart[encoding.label] = sum(
                a != b for a, b in zip(browser_reads, server_reads, strict=True)
            )
    assert {label: n for label, n in apart.items() if n} == KNOWN_APART
