"""What ingest says it takes comes from its one list of containers (``containers.ACCEPTED``):
``GET /api/v1/ingest/formats`` (admins only, on both backends) and the 415 message.

The tests iterate that list, so a container added later is checked without touching this
file: it must be named by both.
"""

from __future__ import annotations

import re

import ingest_media
import pytest
from ingest_rig import API, Rig

from streamstack.ingest.containers import ACCEPTED, Container, Form

FORMATS = f"{API}/formats"


def every_form() -> list[tuple[Container, Form]]:
    return [(container, form) for container in ACCEPTED for form in container.forms]


async def test_an_admin_gets_every_containers_forms_and_extensions(rig: Rig) -> None:
    response = await rig.client.get(FORMATS, headers=rig.admin())

    assert response.status_code == 200, response.text
    listed = response.json()["formats"]
    by_label = {entry["label"]: entry for entry in listed}
    assert len(by_label) == len(listed), "a label names two forms"
    for container, form in every_form():
        entry = by_label[form.label]
        assert entry["container"] == container.name
        assert (entry["kind"], entry["extensions"]) == (form.kind, list(form.extensions))
        # The first content type is the one a file of the form is stored with.
        assert entry["content_types"][0] == container.content_type(form.kind == "video")
    assert {entry["container"] for entry in listed} == {c.name for c in ACCEPTED}
    kinds = [entry["kind"] for entry in listed]
    assert kinds == ["video"] * kinds.count("video") + ["sound"] * kinds.count("sound")
    # The same for every admin, and for hours, but never in a shared cache.
    directives = {part.strip() for part in response.headers["cache-control"].split(",")}
    assert directives == {"private", "max-age=3600"}


async def test_the_formats_are_for_admins_only(rig: Rig) -> None:
    as_viewer = await rig.client.get(FORMATS, headers=rig.viewer())
    anonymous = await rig.client.get(FORMATS)
    revoked = await rig.client.get(FORMATS, headers=await rig.revoked_admin())

    assert (as_viewer.status_code, as_viewer.json()["code"]) == (403, "forbidden")
    assert anonymous.status_code == 401
    assert (revoked.status_code, revoked.json()["code"]) == (401, "token_revoked")


async def test_the_refusal_names_every_form_of_every_container(rig: Rig) -> None:
    response = await rig.upload(ingest_media.random_bytes(), filename="clip.mp4")

    assert response.status_code == 415, response.text
    detail = response.json()["detail"]
    assert detail.startswith("the file's contents are no supported video or sound, ")
    videos, sounds = detail.split("; and sound: ")
    for _, form in every_form():
        assert form.label in (videos if form.kind == "video" else sounds), form.label


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b"Meeting notes: buy milk, call Anna.\n", "text"),
        ("Notizen für Mittwoch: Brötchen\r\n".encode(), "text"),
    ],
    ids=["ascii", "utf-8"],
)
async def test_a_text_named_like_a_video_is_refused_as_text(
    rig: Rig, data: bytes, said: str
) -> None:
    # Walk 52 F6: notes.mp4 was "not a supported video: MP4, …", which read as a
    # contradiction: the refusal says what the file holds, whatever its name, then the list.
    before = await rig.snapshot()
    response = await rig.upload(data, filename="notes.mp4")

    assert response.status_code == 415, response.text
    assert response.json()["code"] == "unsupported_container"
    assert response.json()["detail"].startswith(
        f"the file is {said}, not a video or sound, whatever its name says; supported are video: MP4"
    )
    await rig.assert_nothing_kept(before)


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
