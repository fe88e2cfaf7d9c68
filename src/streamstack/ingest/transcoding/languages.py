"""The language and title of a source's stream (subtitle or audio), as our tracks name them.

Languages come from the stream's ``language`` tag: ISO 639-2 codes become the two-letter
tag when there is one (``fre`` → ``fr``, as BCP 47 prefers, so an upload of ``fr`` is the
same caption track), and a missing or malformed tag is ``und``. A title becomes a label
only when it is one printable line.
"""

from __future__ import annotations

import re

from streamstack.contracts.limits import CAPTION_LABEL_MAX, CAPTION_LANGUAGE, CAPTION_LANGUAGE_MAX

UNDETERMINED = "und"
_LANGUAGE = re.compile(CAPTION_LANGUAGE)
#: ISO 639-2 (bibliographic and terminology) codes with an ISO 639-1 code, which BCP 47
#: prefers: ``eng`` is ``en``.
_ISO_639_PAIRS = (
    "alb:sq sqi:sq arm:hy hye:hy baq:eu eus:eu bur:my mya:my chi:zh zho:zh cze:cs ces:cs "
    "dut:nl nld:nl fre:fr fra:fr geo:ka kat:ka ger:de deu:de gre:el ell:el ice:is isl:is "
    "mac:mk mkd:mk mao:mi mri:mi may:ms msa:ms per:fa fas:fa rum:ro ron:ro slo:sk slk:sk "
    "tib:bo bod:bo wel:cy cym:cy afr:af amh:am ara:ar aze:az bel:be ben:bn bos:bs bre:br "
    "bul:bg cat:ca cos:co dan:da eng:en epo:eo est:et fao:fo fin:fi gle:ga gla:gd glg:gl "
    "guj:gu hat:ht hau:ha heb:he hin:hi hrv:hr hun:hu ibo:ig ind:id ita:it jav:jv jpn:ja "
    "kan:kn kaz:kk khm:km kin:rw kir:ky kor:ko kur:ku lao:lo lat:la lav:lv lit:lt ltz:lb "
    "mal:ml mar:mr mlt:mt mon:mn nep:ne nor:no nob:nb nno:nn oci:oc ori:or pan:pa pol:pl "
    "por:pt pus:ps que:qu roh:rm rus:ru sin:si slv:sl smo:sm snd:sd som:so spa:es srp:sr "
    "sun:su swa:sw swe:sv tam:ta tat:tt tel:te tgk:tg tgl:tl tha:th tir:ti ton:to tuk:tk "
    "tur:tr uig:ug ukr:uk urd:ur uzb:uz vie:vi wol:wo xho:xh yid:yi yor:yo zul:zu"
)
_TWO_LETTER = dict(pair.split(":") for pair in _ISO_639_PAIRS.split())


def language_tag(raw: str | None) -> str:
    """A caption language tag (``CaptionLanguage``) for a stream's ``language`` metadata."""
    parts = (raw or "").strip().replace("_", "-").split("-")
    parts[0] = parts[0].lower()
    parts[0] = _TWO_LETTER.get(parts[0], parts[0])
    tag = "-".join(parts)
    if len(tag) > CAPTION_LANGUAGE_MAX or not _LANGUAGE.fullmatch(tag):
        return UNDETERMINED
    return tag


def one_line(raw: str | None, limit: int) -> str | None:
    """A file's title for something (a stream, a chapter) as one printable line of at most
    ``limit`` characters, its runs of white space made one space; None if nothing is left
    or it holds other control characters."""
    line = " ".join((raw or "").split())[:limit].strip()
    return line if line.isprintable() and line else None


def track_label(raw: str | None) -> str | None:
    """A caption label (``CaptionLabel``) from a stream's ``title``: one line, or None."""
    return one_line(raw, CAPTION_LABEL_MAX)
