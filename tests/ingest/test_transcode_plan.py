"""The ladder's plan without encoding anything: rungs, sizes, caps, rates and x264 settings."""

from __future__ import annotations

import struct
from fractions import Fraction

import pytest

from streamstack.ingest.transcoding import hdr
from streamstack.ingest.transcoding.ladder import (
    BITRATE_CAPS_KBPS,
    Rung,
    gop_frames,
    output_rate,
    plan_ladder,
    x264_options,
)
from streamstack.ingest.transcoding.playlists import avc_codec
from streamstack.ingest.transcoding.storyboard import tile_size


def names(width: int, height: int, rate: Fraction = Fraction(30)) -> list[str]:
    return [rung.name for rung in plan_ladder(width, height, rate)]


def test_rungs_go_up_to_the_source_and_never_above() -> None:
    assert names(3840, 2160) == ["240p", "360p", "480p", "720p", "1080p", "1440p", "2160p"]
    assert names(1920, 1080) == ["240p", "360p", "480p", "720p", "1080p"]
    assert names(1280, 720) == ["240p", "360p", "480p", "720p"]
    assert names(1910, 1074)[-1] == "1074p"  # its own size, not rounded up to 1080


def test_a_portrait_source_is_named_by_its_short_side_and_stays_portrait() -> None:
    ladder = plan_ladder(1080, 1920, Fraction(30))
    assert [r.name for r in ladder] == ["240p", "360p", "480p", "720p", "1080p"]
    assert (ladder[-1].width, ladder[-1].height) == (1080, 1920)
    assert (ladder[0].width, ladder[0].height) == (240, 426)


def test_a_source_well_between_two_rungs_also_gets_one_at_its_own_size() -> None:
    # Topped at the rung under it, a PAL DVD lost a sixth of its lines, a screen's text blurred.
    assert plan_ladder(1024, 576, Fraction(25))[-2:] == [
        Rung("480p", 854, 480, 1400),
        Rung("576p", 1024, 576, 1960),  # its cap between 480p's and 720p's, by its height
    ]
    assert names(1366, 768)[-2:] == ["720p", "768p"]
    assert names(1000, 1000)[-1] == "1000p"
    assert names(1280, 740)[-1] == "720p"  # under 5 % above 720: not worth a rung
    assert names(5120, 2880)[-1] == "2160p"  # never above the highest rung


def test_a_tiny_source_gets_one_even_rung_at_its_own_size() -> None:
    assert plan_ladder(175, 143, Fraction(25)) == [Rung("142p", 174, 142, BITRATE_CAPS_KBPS[240])]


def test_sizes_are_even_and_keep_the_aspect_ratio() -> None:
    for rung in plan_ladder(1920, 1080, Fraction(30)):
        assert rung.width % 2 == 0 and rung.height % 2 == 0
        assert rung.width / rung.height == pytest.approx(16 / 9, abs=0.01)


def test_a_scaled_width_is_the_nearest_even_one() -> None:
    # A DVD's 720 x 480 with 32:27 pixels is shown at 853.3 x 480.
    ladder = plan_ladder(853, 480, Fraction(30))
    assert [(r.name, r.width, r.height) for r in ladder] == [
        ("240p", 426, 240),
        ("360p", 640, 360),  # 639.75: was cut to 638
        ("480p", 852, 480),  # its own size: made even, never wider than the source
    ]


def test_high_frame_rates_get_higher_caps() -> None:
    normal = plan_ladder(1920, 1080, Fraction(30))[-1].max_kbps
    fast = plan_ladder(1920, 1080, Fraction(60))[-1].max_kbps
    assert (normal, fast) == (5000, 7500)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (Fraction(30), Fraction(30)),
        (Fraction(2996, 100), Fraction(30000, 1001)),  # a phone's measured average
        (Fraction(120), Fraction(60)),
        (Fraction(100), Fraction(50)),
        (Fraction(90), Fraction(45)),
        (None, Fraction(30)),
        (Fraction(0), Fraction(30)),
        (Fraction(1, 2), Fraction(1)),
    ],
)
def test_the_output_rate_is_the_source_rate_up_to_60(
    source: Fraction | None, expected: Fraction
) -> None:
    assert output_rate(source) == expected


def test_the_gop_is_one_segment_and_x264_cuts_nowhere_else() -> None:
    gop = gop_frames(4.0, Fraction(30000, 1001))
    assert gop == 120
    rung = plan_ladder(1280, 720, Fraction(30))[-1]
    options = x264_options(rung, preset="veryfast", crf=23, gop=gop, lookahead=5)
    assert "keyint=120:min-keyint=120:scenecut=0:open-gop=0" in options["x264-params"]
    assert (options["maxrate"], options["bufsize"], options["profile"]) == (
        "2800k",
        "5600k",
        "high",
    )


def test_codec_strings_come_from_the_sps() -> None:
    annex_b = bytes.fromhex("00000001 6764001f acd9 00000001 68ebe3cb".replace(" ", ""))
    assert avc_codec(annex_b) == "avc1.64001f"
    avcc = bytes.fromhex("01 42c01e ff e1".replace(" ", ""))
    assert avc_codec(avcc) == "avc1.42c01e"
    with pytest.raises(ValueError, match="sequence parameter set"):
        avc_codec(b"\x00\x00\x01\x68\x00")


def test_the_hdr_curve_keeps_black_maps_reference_white_near_white_and_never_clips_hard() -> None:
    for transfer, reference_white in ((hdr.PQ, 0.58), (hdr.HLG, 0.75)):
        assert hdr.sdr_signal((0.0, 0.0, 0.0), transfer) == (0.0, 0.0, 0.0)
        white = hdr.sdr_signal((reference_white,) * 3, transfer)
        assert all(0.93 <= v <= 0.99 for v in white)
        levels = [hdr.sdr_signal((s / 20,) * 3, transfer)[0] for s in range(21)]
        assert levels == sorted(levels)  # monotonic: no tone reversal
        assert max(levels) <= 1.0


def test_the_hald_clut_holds_every_grid_point_where_haldclut_looks_for_it() -> None:
    table = hdr.hald_clut(hdr.PQ)
    points = hdr.HALD_LEVEL**2
    assert len(table) == hdr.HALD_SIDE**2 * 6  # rgb48le, unpadded
    # Point (r, g, b) is pixel r + g * N + b * N * N, red fastest.
    for r, g, b in ((0, 0, 0), (points - 1, 0, 0), (3, 17, 29), (points - 1,) * 3):
        offset = (r + g * points + b * points * points) * 6
        stored = struct.unpack_from("<HHH", table, offset)
        signal = tuple(v / (points - 1) for v in (r, g, b))
        expected = hdr.sdr_signal((signal[0], signal[1], signal[2]), hdr.PQ)
        assert stored == tuple(round(v * 65535) for v in expected)


@pytest.mark.parametrize(
    ("display", "tile"),
    [
        ((1920, 1080), (160, 90)),
        ((1080, 1920), (160, 284)),  # a portrait phone clip
        ((4000, 16), (160, 2)),
        ((16, 4000), (2, 288)),  # its sheet was 1600 x 400,000 pixels: out of memory
        ((100, 200), (144, 288)),
    ],
)
def test_a_storyboard_tile_keeps_the_aspect_within_a_bounded_height(
    display: tuple[int, int], tile: tuple[int, int]
) -> None:
    assert tile_size(display) == tile
