"""Language tags of caption (and audio) tracks: one spelling of each, and a name to show.

BCP 47 tags are case-insensitive and people write them every way (``EN``, ``Pt-br``,
``en_US``); a track is stored, named in its files and compared under one spelling, the
tag's canonical case (RFC 5646 §2.1.1: the language in lower case, a four-letter script in
title case, a two-letter region in upper case: ``en``, ``pt-BR``, ``zh-Hant-TW``), with an
ISO 639-2 language code replaced by its two-letter ISO 639-1 code (``fre`` is ``fr``), as
BCP 47 prefers. So the same language given twice is one track.

A track named only by its tag is shown by the language's name in that language
(``Français``, ``Português (Brasil)``), as the SPA names languages (``Intl.DisplayNames``
in the language itself). Python's standard library has no CLDR, so the names of common
languages are a table here; a language not in it is shown by its tag.
"""

from __future__ import annotations

import re

from streamstack.contracts.limits import CAPTION_LANGUAGE_MAX, LANGUAGE_AS_WRITTEN

_AS_WRITTEN = re.compile(LANGUAGE_AS_WRITTEN)

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

#: Languages by their own names (CLDR's, first letter capitalised as a menu shows them),
#: and the regional variants whose tag says more than the language. (Chinese names are
#: written with full-width parentheses, as CLDR writes them; Uzbek's turned comma is a letter.)
LANGUAGE_NAMES: dict[str, str] = {
    "af": "Afrikaans", "am": "አማርኛ", "ar": "العربية", "az": "Azərbaycan", "be": "Беларуская",
    "bg": "Български", "bn": "বাংলা", "bs": "Bosanski", "ca": "Català", "cs": "Čeština",
    "cy": "Cymraeg", "da": "Dansk", "de": "Deutsch", "el": "Ελληνικά", "en": "English",
    "eo": "Esperanto", "es": "Español", "et": "Eesti", "eu": "Euskara", "fa": "فارسی",
    "fi": "Suomi", "fil": "Filipino", "fo": "Føroyskt", "fr": "Français", "ga": "Gaeilge",
    "gd": "Gàidhlig", "gl": "Galego", "gu": "ગુજરાતી", "ha": "Hausa", "he": "עברית",
    "hi": "हिन्दी", "hr": "Hrvatski", "hu": "Magyar", "hy": "Հայերեն", "id": "Indonesia",
    "is": "Íslenska", "it": "Italiano", "ja": "日本語", "ka": "ქართული", "kk": "Қазақ тілі",
    "km": "ខ្មែរ", "kn": "ಕನ್ನಡ", "ko": "한국어", "ky": "Кыргызча", "la": "Latina",
    "lb": "Lëtzebuergesch", "lo": "ລາວ", "lt": "Lietuvių", "lv": "Latviešu", "mi": "Māori",
    "mk": "Македонски", "ml": "മലയാളം", "mn": "Монгол", "mr": "मराठी", "ms": "Melayu",
    "mt": "Malti", "my": "မြန်မာ", "nb": "Norsk bokmål", "ne": "नेपाली", "nl": "Nederlands",
    "nn": "Norsk nynorsk", "no": "Norsk", "pa": "ਪੰਜਾਬੀ", "pl": "Polski", "ps": "پښتو",
    "pt": "Português", "ro": "Română", "ru": "Русский", "si": "සිංහල", "sk": "Slovenčina",
    "sl": "Slovenščina", "so": "Soomaali", "sq": "Shqip", "sr": "Српски", "sv": "Svenska",
    "sw": "Kiswahili", "ta": "தமிழ்", "te": "తెలుగు", "th": "ไทย", "tl": "Tagalog",
    "tr": "Türkçe", "uk": "Українська", "ur": "اردو", "uz": "Oʻzbek", "vi": "Tiếng Việt",  # noqa: RUF001
    "yi": "ייִדיש", "yo": "Èdè Yorùbá", "zh": "中文", "zu": "isiZulu",
    "en-GB": "English (United Kingdom)", "en-US": "English (United States)",
    "es-419": "Español (Latinoamérica)", "es-ES": "Español (España)",
    "es-MX": "Español (México)", "fr-CA": "Français (Canada)", "fr-FR": "Français (France)",
    "pt-BR": "Português (Brasil)", "pt-PT": "Português (Portugal)",
    "sr-Cyrl": "Српски (ћирилица)", "sr-Latn": "Srpski (latinica)",
    "zh-CN": "中文（中国）", "zh-HK": "中文（香港）", "zh-TW": "中文（台灣）",  # noqa: RUF001
    "zh-Hans": "中文（简体）", "zh-Hant": "中文（繁體）",  # noqa: RUF001
}  # fmt: skip


def canonical_language(written: str) -> str | None:
    """The canonical spelling of a language tag written any way (``EN`` → ``en``,
    ``pt_br`` → ``pt-BR``, ``ZH-hant`` → ``zh-Hant``, ``fre`` → ``fr``); None when
    ``written`` is not a language tag (:data:`LANGUAGE_AS_WRITTEN`)."""
    if len(written) > CAPTION_LANGUAGE_MAX or _AS_WRITTEN.fullmatch(written) is None:
        return None
    language, *subtags = written.replace("_", "-").split("-")
    language = _TWO_LETTER.get(language.lower(), language.lower())
    return "-".join([language, *(_subtag_case(subtag) for subtag in subtags)])


def _subtag_case(subtag: str) -> str:
    """A subtag after the language in its canonical case: a script (four letters) in title
    case, a region (two letters) in upper case, anything else (a three-digit region, a
    variant) in lower case."""
    if subtag.isalpha() and len(subtag) == 4:
        return subtag.title()
    if subtag.isalpha() and len(subtag) == 2:
        return subtag.upper()
    return subtag.lower()


def language_name(tag: str) -> str:
    """What a track in the language ``tag`` is called: the language's own name
    (``fr`` → ``Français``, ``pt-BR`` → ``Português (Brasil)``, ``de-AT`` →
    ``Deutsch (AT)``), the tag itself for a language not in :data:`LANGUAGE_NAMES`."""
    canonical = canonical_language(tag)
    if canonical is None:
        return tag
    subtags = canonical.split("-")
    for known in range(len(subtags), 0, -1):  # the longest prefix with a name
        name = LANGUAGE_NAMES.get("-".join(subtags[:known]))
        if name is not None:
            rest = "-".join(subtags[known:])
            return f"{name} ({rest})" if rest else name
    return canonical


def shown_label(label: str, language: str) -> str:
    """A track's label as a person reads it: a label that is only its language's tag (any
    case: how tracks were named before they were named by their language) becomes the
    language's name; any other label is kept."""
    return language_name(language) if label.lower() == language.lower() else label
