"""What ingest says it takes comes from its one list of containers (``containers.ACCEPTED``):
the 415 message, on both backends.

The tests iterate that list, so a container added later is checked without touching this
file: it must be named there.
"""

from __future__ import annotations

import re

import ingest_media
from ingest_rig import Rig

from streamstack.ingest.containers import ACCEPTED, Container, Form


def every_form() -> list[tuple[Container, Form]]:
    return [(container, form) for container in ACCEPTED for form in container.forms]


async def test_the_refusal_names_every_form_of_every_container(rig: Rig) -> None:
    response = await rig.upload(ingest_media.random_bytes(), filename="clip.mp4")

    assert response.status_code == 415, response.text
    detail = response.json()["detail"]
    assert detail.startswith("the file is not a supported video: ")
    videos, sounds = detail.split("; nor sound: ")
    for _, form in every_form():
        assert form.label in (videos if form.kind == "video" else sounds), form.label


def test_each_label_names_only_its_own_extensions() -> None:
    owner: dict[str, str] = {}
    for container, form in every_form():
        assert form.extensions, form.label
        for extension in form.extensions:
            assert re.fullmatch(r"[a-z0-9]+", extension), extension
            # One container per extension: Ogg's ``.ogg`` is a video or a sound, both Ogg.
            assert owner.setdefault(extension, container.name) == container.name, extension
        # What a label spells out in brackets is among its extensions: "(TS, MTS, M2TS)".
        for spelled in re.findall(r"\(([^)]*)\)", form.label):
            assert {name.lower() for name in spelled.split(", ")} <= set(form.extensions)
