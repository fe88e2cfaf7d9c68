"""HDR to SDR: PQ and HLG pictures mapped onto BT.709 so they look right in every browser.

Phones record HDR by default (HLG or Dolby Vision's HLG-compatible layer on iPhones, PQ on
many others). Shown as plain 8-bit BT.709 such video looks flat and dim (PQ) or
washed out (HLG, BT.2020 colours read as BT.709). The ladder is SDR (H.264 8-bit plays
everywhere), so HDR pictures are converted once, before the split into rungs.

The bundled FFmpeg has no ``zscale`` (so no ``tonemap`` chain), and swscale's own tone
mapping costs about 1.2 s per 1080p frame here. Instead a level-6 Hald CLUT (a 3D table of
36 points a side, as a 216x216 RGB picture) is computed from the standard formulas
(about 0.1 s) and applied by ``haldclut`` (a few ms per frame). A picture, not a ``.cube``
file: the probe's sandboxed child may write no file at all, and its thumbnail is mapped
the same way as the ladder.

1. signal -> display light: the PQ EOTF (SMPTE ST 2084), or the HLG inverse OETF and
   OOTF for a 1000-nit display (ITU-R BT.2100);
2. BT.2020 -> BT.709 primaries in linear light, out-of-gamut colours clipped;
3. HDR reference white (203 nits, ITU-R BT.2408) becomes SDR white; brighter highlights
   roll off smoothly above 75 % instead of clipping, preserving hue (the curve scales
   all three channels by what it does to the largest);
4. linear -> BT.709 signal with the BT.1886 display gamma (2.4).
"""

from __future__ import annotations

import math
import struct

#: Transfer characteristics (FFmpeg's AVColorTransferCharacteristic) that mean HDR.
PQ = 16
HLG = 18
HDR_TRANSFERS = frozenset({PQ, HLG})
HALD_LEVEL = 6
#: The Hald CLUT picture's width and height; the table has ``HALD_LEVEL ** 2`` points a side.
HALD_SIDE = HALD_LEVEL**3
REFERENCE_WHITE_NITS = 203.0
HLG_PEAK_NITS = 1000.0
KNEE = 0.75
DISPLAY_GAMMA = 2.4

# BT.2020 -> BT.709, linear RGB (ITU-R BT.2087).
_TO_709 = (
    (1.6605, -0.5876, -0.0728),
    (-0.1246, 1.1329, -0.0083),
    (-0.0182, -0.1006, 1.1187),
)


def _pq_nits(signal: float) -> float:
    m1, m2 = 2610 / 16384, 2523 / 4096 * 128
    c1, c2, c3 = 3424 / 4096, 2413 / 4096 * 32, 2392 / 4096 * 32
    power = math.pow(max(signal, 0.0), 1 / m2)
    ratio = max(power - c1, 0.0) / (c2 - c3 * power)
    return 10000.0 * math.pow(ratio, 1 / m1)


def _hlg_scene(signal: float) -> float:
    a = 0.17883277
    b = 1 - 4 * a
    c = 0.5 - a * math.log(4 * a)
    signal = max(signal, 0.0)
    return signal * signal / 3 if signal <= 0.5 else (math.exp((signal - c) / a) + b) / 12


def _channel_light(signal: float, transfer: int) -> float:
    """One channel's light: display nits (PQ) or relative scene light (HLG)."""
    return _pq_nits(signal) if transfer == PQ else _hlg_scene(signal)


def _display(light: tuple[float, float, float], transfer: int) -> tuple[float, float, float]:
    """Display nits: PQ light is already; HLG goes through the OOTF (gamma 1.2)."""
    if transfer == PQ:
        return light
    r, g, b = light
    luminance = 0.2627 * r + 0.6780 * g + 0.0593 * b
    gain = HLG_PEAK_NITS * math.pow(luminance, 0.2) if luminance > 0 else 0.0
    return r * gain, g * gain, b * gain


def _roll_off(level: float) -> float:
    if level <= KNEE:
        return level
    headroom = 1 - KNEE
    return KNEE + headroom * (1 - math.exp(-(level - KNEE) / headroom))


def _sdr(light: tuple[float, float, float], transfer: int) -> tuple[float, float, float]:
    r, g, b = _display(light, transfer)
    (m11, m12, m13), (m21, m22, m23), (m31, m32, m33) = _TO_709
    white = REFERENCE_WHITE_NITS
    red = max(m11 * r + m12 * g + m13 * b, 0.0) / white
    green = max(m21 * r + m22 * g + m23 * b, 0.0) / white
    blue = max(m31 * r + m32 * g + m33 * b, 0.0) / white
    brightest = max(red, green, blue)
    if brightest <= 0:
        return 0.0, 0.0, 0.0
    scale = _roll_off(brightest) / brightest
    power = 1 / DISPLAY_GAMMA
    return (
        math.pow(min(red * scale, 1.0), power),
        math.pow(min(green * scale, 1.0), power),
        math.pow(min(blue * scale, 1.0), power),
    )


def sdr_signal(rgb: tuple[float, float, float], transfer: int) -> tuple[float, float, float]:
    """The BT.709 SDR signal (0..1) for one BT.2020 HDR signal triple."""
    r, g, b = (_channel_light(v, transfer) for v in rgb)
    return _sdr((r, g, b), transfer)


def hald_clut(transfer: int) -> bytes:
    """The Hald CLUT for ``transfer`` (PQ or HLG) as ``rgb48le`` rows of ``HALD_SIDE``
    pixels, unpadded: grid point (r, g, b) of the HDR signal at pixel
    ``r + g * N + b * N * N`` (``N = HALD_LEVEL ** 2``), holding its SDR signal."""
    points = HALD_LEVEL**2
    light = [_channel_light(i / (points - 1), transfer) for i in range(points)]
    pack = struct.Struct("<HHH").pack
    table = bytearray()
    for blue in light:
        for green in light:
            for red in light:
                sdr = _sdr((red, green, blue), transfer)
                table += pack(*(round(value * 65535) for value in sdr))
    return bytes(table)
