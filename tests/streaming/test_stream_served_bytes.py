"""Property: whatever ranges are asked for, the bytes served are slices of the original."""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streaming_rig import StreamRig, parse_byteranges

SIZE = 3000
ORIGINAL = random.Random(5).randbytes(SIZE)


@dataclass(frozen=True)
class Served:
    rig: StreamRig
    url: str


@pytest.fixture(scope="module")
async def served(rig: StreamRig) -> Served:
    return Served(rig, await rig.object_url(ORIGINAL))


positions = st.integers(min_value=0, max_value=SIZE + 500)
specs = st.one_of(
    st.tuples(positions, st.integers(0, SIZE)).map(lambda p: f"{p[0]}-{p[0] + p[1]}"),
    positions.map(lambda p: f"{p}-"),
    positions.map(lambda p: f"-{p}"),
)


def wanted_bytes(spec: str) -> set[int]:
    """The positions ``spec`` asks for, clamped to the object (RFC 9110 §14.1.2)."""
    first, _, last = spec.partition("-")
    if not first:
        return set(range(max(0, SIZE - int(last)), SIZE)) if int(last) else set()
    end = SIZE - 1 if not last else min(int(last), SIZE - 1)
    return set(range(int(first), end + 1))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(specs, min_size=1, max_size=6))
async def test_served_ranges_are_slices_of_the_original(served: Served, asked: list[str]) -> None:
    response = await served.rig.client.get(
        served.url, headers={"Range": "bytes=" + ",".join(asked)}
    )

    wanted = set().union(*(wanted_bytes(spec) for spec in asked))
    if not wanted:
        assert response.status_code == 416
        assert response.headers["content-range"] == f"bytes */{SIZE}"
        return
    assert response.status_code == 206
    content_type = response.headers["content-type"]
    if content_type.startswith("multipart/byteranges"):
        parts = [(p.start, p.end, p.data) for p in parse_byteranges(content_type, response.content)]
        assert len(parts) > 1
    else:
        unit, _, spec = response.headers["content-range"].partition(" ")
        span, _, total = spec.partition("/")
        assert (unit, total) == ("bytes", str(SIZE))
        start, _, end = span.partition("-")
        parts = [(int(start), int(end), response.content)]
    served_positions: set[int] = set()
    for start, end, data in parts:
        assert data == ORIGINAL[start : end + 1]
        served_positions |= set(range(start, end + 1))
    assert wanted <= served_positions  # nothing asked for is missing
    assert served_positions <= set(range(min(wanted), max(wanted) + 1))  # nor far beyond
    assert int(response.headers["content-length"]) == len(response.content)
