"""``streamstack comments`` and ``items edit --comments``: the real commands, in a
subprocess, against a served catalogue (a client: the embedded backends only)."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from catalogue_testing import API, create_item

from support.apps import bearer, mint_token, served_app
from support.commands import CommandLine
from support.fixtures import SettingsFactory

#: Any id: the refusals come before a request.
ID = str(uuid.uuid4())


@pytest.fixture
def backend_kind() -> str:
    """The embedded backends only: the command is a client of whatever the server uses."""
    return "embedded"


async def test_an_admin_lists_deletes_and_turns_comments_off(
    settings_factory: SettingsFactory, tmp_path: Path
) -> None:
    settings = settings_factory(modules=("catalogue",))
    async with served_app(settings) as url, httpx.AsyncClient(base_url=url) as client:
        item_id = (await create_item(client, settings, title="Birds"))["id"]
        ada_id = str(uuid.uuid4())
        ada = bearer(mint_token(settings, user_id=ada_id, name="Ada"))
        posted = []
        for body in ("first", "at 3:12, what is that?\nA heron?", "third"):
            r = await client.post(f"{API}/{item_id}/comments", json={"body": body}, headers=ada)
            assert r.status_code == 201, r.text
            posted.append(r.json()["id"])
        admin = mint_token(settings, role="admin")
        comments = CommandLine("comments", tmp_path, admin)
        items = CommandLine("items", tmp_path, admin)

        code, out, err = await comments("list", item_id, "--server", url)
        assert code == 0, err
        lines = out.splitlines()
        assert lines[0].split() == ["WHEN", "AUTHOR", "REPLIES", "COMMENT", "ID"]
        assert [line.split()[-1] for line in lines[1:]] == posted[::-1]
        cells = [cell.strip() for cell in lines[2].split("  ") if cell.strip()]
        assert cells[1:4] == ["Ada", "0", "at 3:12, what is that?…"]  # its first line
        assert err == "streamstack: 3 comments\n"
        code, out, err = await comments("list", item_id, "--json", "--server", url)
        assert [comment["id"] for comment in json.loads(out)] == posted[::-1], err
        code, out, err = await comments("list", item_id, "--limit", "2", "--server", url)
        assert (code, len(out.splitlines()), err) == (
            0,
            3,
            "streamstack: the newest 2 of 3 comments\n",
        )

        code, out, err = await comments("delete", posted[0], "--server", url)
        assert (code, out, err) == (0, "", f"streamstack: deleted comment {posted[0]}\n")
        code, out, err = await comments("delete", posted[0], "--server", url)
        assert code == 4 and "HTTP 404" in err, err

        code, out, err = await items("edit", item_id, "--comments", "off", "--server", url)
        assert (code, json.loads(out)["comments_enabled"]) == (0, False), err
        assert err == f"streamstack: edited {item_id}: comments\n"
        code, out, err = await comments("list", item_id, "--server", url)
        assert code == 0 and len(out.splitlines()) == 3  # admins still read them
        assert err.endswith("streamstack: comments are off for this video\n"), err
        r = await client.post(f"{API}/{item_id}/comments", json={"body": "x"}, headers=ada)
        assert r.status_code == 409, r.text
        code, out, err = await items("edit", item_id, "--comments", "on", "--server", url)
        assert (code, json.loads(out)["comments_enabled"]) == (0, True), err


async def test_a_video_lists_reply_counts_and_a_comment_its_replies_oldest_first(
    settings_factory: SettingsFactory, tmp_path: Path
) -> None:
    settings = settings_factory(modules=("catalogue",))
    async with served_app(settings) as url, httpx.AsyncClient(base_url=url) as client:
        item_id = (await create_item(client, settings))["id"]
        ada = bearer(mint_token(settings, user_id=str(uuid.uuid4()), name="Ada"))
        bob = bearer(mint_token(settings, user_id=str(uuid.uuid4()), name="Bob"))
        posted = []
        for headers, body, reply_to in (
            (ada, "at 3:12, what is that?", None),
            (bob, "A heron.", 0),
            (ada, "thanks!", 1),  # to the reply: the same thread
            (bob, "lovely light", None),
        ):
            json_body = {"body": body}
            if reply_to is not None:
                json_body["reply_to"] = posted[reply_to]
            r = await client.post(f"{API}/{item_id}/comments", json=json_body, headers=headers)
            assert r.status_code == 201, r.text
            posted.append(r.json()["id"])
        question, heron, thanks, light = posted
        comments = CommandLine("comments", tmp_path, mint_token(settings, name="Carol"))

        code, out, err = await comments("list", item_id, "--server", url)
        assert code == 0, err
        cells = [[c.strip() for c in line.split("  ") if c.strip()] for line in out.splitlines()]
        assert [row[1:] for row in cells[1:]] == [
            ["Bob", "0", "lovely light", light],
            ["Ada", "2", "at 3:12, what is that?", question],
        ]
        assert err == "streamstack: 4 comments, 2 of them replies\n"
        code, out, err = await comments("list", item_id, "--limit", "1", "--server", url)
        assert (code, err) == (0, "streamstack: the newest 1 of 4 comments\n"), err

        code, out, err = await comments("replies", question, "--server", url)
        assert code == 0, err
        lines = out.splitlines()
        assert lines[0].split() == ["WHEN", "AUTHOR", "COMMENT", "ID"]
        cells = [[c.strip() for c in line.split("  ") if c.strip()] for line in lines[1:]]
        assert [row[1:] for row in cells] == [
            ["Bob", "A heron.", heron],
            ["Ada", "thanks!", thanks],
        ]
        assert err == "streamstack: 2 replies\n"
        code, out, err = await comments("replies", question, "--limit", "1", "--server", url)
        assert (code, len(out.splitlines()), err) == (
            0,
            2,
            "streamstack: the first 1 of 2 replies\n",
        )
        code, out, err = await comments("replies", light, "--server", url)
        assert (code, out, err) == (0, "", "streamstack: no replies yet\n")
        code, out, err = await comments("replies", heron, "--server", url)  # not a thread
        assert code == 4 and "HTTP 404" in err and "that comment is a reply" in err, err


async def test_an_author_deletes_their_own_and_no_one_elses(
    settings_factory: SettingsFactory, tmp_path: Path
) -> None:
    settings = settings_factory(modules=("catalogue",))
    async with served_app(settings) as url, httpx.AsyncClient(base_url=url) as client:
        item_id = (await create_item(client, settings))["id"]
        ada = mint_token(settings, user_id=str(uuid.uuid4()), name="Ada")
        bob = mint_token(settings, user_id=str(uuid.uuid4()), name="Bob")
        r = await client.post(
            f"{API}/{item_id}/comments", json={"body": "mine"}, headers=bearer(ada)
        )
        comment_id = r.json()["id"]
        code, _, err = await CommandLine("comments", tmp_path, bob)(
            "delete", comment_id, "--server", url
        )
        assert code == 4 and "not deleted: HTTP 404" in err, err
        code, _, err = await CommandLine("comments", tmp_path, ada)(
            "delete", comment_id, "--server", url
        )
        assert code == 0, err
        assert (await client.get(f"{API}/{item_id}/comments")).json()["total"] == 0


async def test_a_viewer_reports_and_an_admin_lists_every_videos_comments_and_dismisses(
    settings_factory: SettingsFactory, tmp_path: Path
) -> None:
    settings = settings_factory(modules=("catalogue",))
    async with served_app(settings) as url, httpx.AsyncClient(base_url=url) as client:
        birds = (await create_item(client, settings, title="Birds"))["id"]
        draft = (await create_item(client, settings, title="Draft", publish=False))["id"]
        ada_id, admin_id = str(uuid.uuid4()), str(uuid.uuid4())
        ada = mint_token(settings, user_id=ada_id, name="Ada")
        admin = mint_token(settings, user_id=admin_id, role="admin", name="Admin")
        posted = []
        for item_id, token, body in ((birds, ada, "buy watches"), (draft, admin, "note")):
            r = await client.post(
                f"{API}/{item_id}/comments", json={"body": body}, headers=bearer(token)
            )
            assert r.status_code == 201, r.text
            posted.append(r.json()["id"])
        spam, note = posted
        bob = CommandLine("comments", tmp_path / "bob", mint_token(settings, name="Bob"))
        comments = CommandLine("comments", tmp_path / "admin", admin)

        code, out, err = await comments("list", "--reported", "--server", url)
        assert (code, out, err) == (0, "", "streamstack: no reported comments yet\n")
        code, out, err = await bob("report", spam, "--reason", "spam", "--server", url)
        assert (code, out) == (0, ""), err
        assert err == "streamstack: reported: an administrator will look at it\n"
        code, _, err = await CommandLine("comments", tmp_path / "ada", ada)(
            "report", spam, "--server", url
        )
        assert code == 1 and "not reported: HTTP 409" in err, err

        code, out, err = await comments("list", "--server", url)
        assert code == 0, err
        lines = out.splitlines()
        cells = [[c.strip() for c in line.split("  ") if c.strip()] for line in lines]
        assert cells[0] == ["WHEN", "VIDEO", "AUTHOR", "AUTHOR ID", "REPORTS", "COMMENT", "ID"]
        assert [row[1:] for row in cells[1:]] == [  # the author's id: what --author takes
            ["Draft", "Admin", admin_id, "0", "note", note],
            ["Birds", "Ada", ada_id, "1", "buy watches", spam],
        ]
        assert err == "streamstack: 2 comments\n"
        code, out, err = await comments("list", "--limit", "1", "--server", url)
        assert (code, len(out.splitlines())) == (0, 2), err
        assert err == "streamstack: 1 comment (--limit for more)\n"
        code, out, err = await comments("list", "--reported", "--server", url)
        assert (code, [line.split()[-1] for line in out.splitlines()[1:]]) == (0, [spam]), err
        assert err == "streamstack: 1 reported comment\n"

        code, _, err = await bob("dismiss", spam, "--server", url)
        assert code == 3 and "HTTP 403" in err, err
        code, out, err = await comments("dismiss", spam, "--server", url)
        assert (code, out) == (0, ""), err
        assert err == "streamstack: the reports on it are dismissed; the comment stays\n"
        code, out, err = await comments("list", "--reported", "--server", url)
        assert (code, out, err) == (0, "", "streamstack: no reported comments yet\n")
        code, _, err = await comments("dismiss", str(uuid.uuid4()), "--server", url)
        assert code == 4 and "HTTP 404" in err, err


class Spammer:
    """A served auth and catalogue: Sam (an account, by email) wrote two comments and a
    reply to Bob's, and Bob replied to one of Sam's; commands as ``token``."""

    def __init__(self, url: str, client: httpx.AsyncClient, folder: Path, settings: Any) -> None:
        self.url, self.client, self.folder, self.settings = url, client, folder, settings
        self.admin = mint_token(settings, role="admin", name="Admin")
        self.email, self.sam_id, self.item_id, self.bob_comment = "", "", "", ""
        self.bob_reply = ""

    async def post(self, headers: dict[str, str], body: str, reply_to: str | None = None) -> str:
        """The id of the comment ``headers``'s account posts (``reply_to``: a reply)."""
        sent = {"body": body} | ({"reply_to": reply_to} if reply_to else {})
        r = await self.client.post(f"{API}/{self.item_id}/comments", json=sent, headers=headers)
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    async def __call__(self, *args: str, token: str | None = None, **kwargs: Any) -> Any:
        """``streamstack comments ARGS --server URL`` as the admin (or ``token``)."""
        line = CommandLine("comments", self.folder, token or self.admin)
        return await line(*args, "--server", self.url, **kwargs)

    async def total(self) -> int:
        """How many comments the video has, replies included."""
        return int((await self.client.get(f"{API}/{self.item_id}/comments")).json()["total"])


@pytest.fixture
async def spammer(settings_factory: SettingsFactory, tmp_path: Path) -> AsyncIterator[Spammer]:
    settings = settings_factory(modules=("auth", "catalogue"))
    async with served_app(settings) as url, httpx.AsyncClient(base_url=url) as client:
        spammer = Spammer(url, client, tmp_path, settings)
        spammer.email = f"sam-{uuid.uuid4().hex[:8]}@example.test"
        account = {"email": spammer.email, "password": "a long passphrase 42"}
        r = await client.post("/api/v1/auth/register", json=account)
        assert r.status_code == 201, r.text
        spammer.sam_id = r.json()["id"]
        spammer.item_id = (await create_item(client, settings, title="Birds"))["id"]
        sam = bearer(mint_token(settings, user_id=spammer.sam_id, name="Sam"))
        bob = bearer(mint_token(settings, user_id=str(uuid.uuid4()), name="Bob"))
        watches = await spammer.post(sam, "buy watches")
        spammer.bob_comment = await spammer.post(bob, "lovely light")
        spammer.bob_reply = await spammer.post(bob, "no thanks", reply_to=watches)
        await spammer.post(sam, "cheap watches here", reply_to=spammer.bob_comment)
        await spammer.post(sam, "watches!!")
        yield spammer


async def test_an_admin_lists_one_members_comments_by_email_or_id(spammer: Spammer) -> None:
    sam = f"Sam ({spammer.sam_id})"
    code, out, err = await spammer("list", "--author", spammer.email.upper())
    assert code == 0, err
    cells = [[c.strip() for c in line.split("  ") if c.strip()] for line in out.splitlines()]
    assert [row[1:6] for row in cells[1:]] == [
        ["Birds", "Sam", spammer.sam_id, "0", "watches!!"],
        ["Birds", "Sam", spammer.sam_id, "0", "cheap watches here"],
        ["Birds", "Sam", spammer.sam_id, "0", "buy watches"],
    ]
    assert err == f"streamstack: 3 comments by {sam}\n"
    code, out, err = await spammer("list", "--author", spammer.sam_id, "--limit", "1")
    assert (code, len(out.splitlines())) == (0, 2), err
    assert err == f"streamstack: 1 comment by {sam} (--limit for more); 3 comments by them in all\n"
    code, out, err = await spammer("list", "--author", spammer.sam_id, "--reported")
    assert (code, out) == (0, ""), err
    assert err == f"streamstack: no reported comments by {sam} yet\n"


async def test_an_admin_deletes_one_members_comments_and_others_replies_stay(
    spammer: Spammer,
) -> None:
    sam = f"Sam ({spammer.sam_id})"
    code, out, err = await spammer("delete", "--author", spammer.email)
    assert (code, out) == (2, ""), err
    assert err.endswith("with no terminal to ask, pass --yes to go ahead\n"), err
    main, terminal = os.openpty()
    try:
        os.write(main, b"n\n")
        code, out, err = await spammer("delete", "--author", spammer.email, stdin=terminal)
    finally:
        os.close(terminal)
        os.close(main)
    assert (code, out) == (1, ""), err
    assert err == (
        f"Delete 3 comments by {sam}? Others' replies stay. [y/N] streamstack: nothing deleted\n"
    )
    assert await spammer.total() == 5

    code, out, err = await spammer("delete", "--author", spammer.email, "--yes")
    assert code == 0, err
    assert json.loads(out) == {
        "author": {"id": spammer.sam_id, "name": "Sam", "comments": 3},
        "deleted": 3,  # Sam's three: Bob's reply to one of them stays
    }
    assert err == (
        f"streamstack: deleting 3 comments by {sam}…\n"
        f"streamstack: deleted 3 comments by {sam}; others' replies to them stay\n"
    )
    code, out, err = await spammer("list")
    assert code == 0, err
    assert [line.split()[-1] for line in out.splitlines()[1:]] == [
        spammer.bob_reply,
        spammer.bob_comment,
    ]
    code, out, err = await spammer("delete", "--author", spammer.sam_id, "--yes")
    assert (code, json.loads(out)["deleted"]) == (0, 0), err
    assert err == f"streamstack: no comments by {sam}; nothing deleted\n"


async def test_one_members_comments_are_refused_to_viewers_and_for_unknown_emails(
    spammer: Spammer,
) -> None:
    viewer = mint_token(spammer.settings, user_id=str(uuid.uuid4()), name="Vic")
    for args, said in (
        (("list", "--author", spammer.sam_id), "comments list: HTTP 403"),
        (("delete", "--author", spammer.sam_id, "--yes"), "comments delete: HTTP 403"),
        (("delete", "--author", spammer.email, "--yes"), "cannot list the users: HTTP 403"),
    ):
        code, out, err = await spammer(*args, token=viewer)
        assert (code, out, err.count("\n")) == (3, "", 1), err
        assert err.startswith(f"streamstack: comments {args[0]}: ") and said in err, err
    code, out, err = await spammer("delete", "--author", "nobody@example.test", "--yes")
    assert (code, out) == (1, ""), err
    assert err == "streamstack: comments delete: no user with the email nobody@example.test\n"
    assert await spammer.total() == 5


async def test_one_members_comments_are_refused_for_an_id_no_member_has(
    spammer: Spammer,
) -> None:
    """An id no account has is said so, as an unknown email is, where the list said "no
    comments yet" and the deletion "nothing deleted", both exit 0."""
    nobody = str(uuid.uuid4())
    for action, more in (("list", ()), ("delete", ("--yes",))):
        code, out, err = await spammer(action, "--author", nobody, *more)
        assert (code, out) == (1, ""), err
        assert err == f"streamstack: comments {action}: no user with the id {nobody}\n"
    assert await spammer.total() == 5


@pytest.mark.parametrize(
    "args",
    [
        ("list", "not-an-id"),
        ("list", str(uuid.uuid4()), "--reported"),
        ("delete", str(uuid.uuid4()), "--reported"),
        ("delete", str(uuid.uuid4()), "--reason", "spam"),
        ("report",),
        ("dismiss",),
        ("report", "42"),
        ("delete", "42"),
        ("delete", str(uuid.uuid4()), "--limit", "3"),
        ("replies",),
        ("replies", "42"),
        ("replies", str(uuid.uuid4()), "--reported"),
        ("replies", str(uuid.uuid4()), "--limit", "0"),
        ("replies", str(uuid.uuid4()), "--reason", "spam"),
        ("list", str(uuid.uuid4()), "--limit", "0"),
        ("list", str(uuid.uuid4()), "--limit", "1000"),
        ("hide", str(uuid.uuid4())),
    ],
)
async def test_what_the_command_line_cannot_mean_is_refused(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    code, out, err = await CommandLine("comments", tmp_path, "token")(
        *args, "--server", "http://127.0.0.1:9"
    )
    assert (code, out) == (2, ""), err
    assert err.strip(), err


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("list", "--author", "42"), "comments list: '42' is neither a user's id nor an email"),
        (
            ("delete", "--author", "not-an-email", "--yes"),
            "comments delete: 'not-an-email' is neither a user's id nor an email",
        ),
        (
            ("delete", "--author", ID),
            "comments delete: the member's comments go for good; "
            "with no terminal to ask, pass --yes to go ahead",
        ),
        (("delete", ID, "--author", ID, "--yes"), "comments delete: --author goes with list and"),
        (("list", ID, "--author", ID), "comments list: --author goes with list and delete"),
        (("replies", ID, "--author", ID), "comments replies: --author goes with list and"),
        (("delete", ID, "--yes"), "comments delete: --yes goes with delete --author"),
        (("list", "--yes"), "comments list: --yes goes with delete --author"),
        (("delete",), "comments delete: give the comment's id, or --author USER"),
    ],
)
async def test_what_one_members_comments_cannot_mean_is_refused_in_one_line(
    tmp_path: Path, args: tuple[str, ...], said: str
) -> None:
    code, out, err = await CommandLine("comments", tmp_path, "token")(
        *args, "--server", "http://127.0.0.1:9"
    )
    assert (code, out, err.count("\n")) == (2, "", 1), err
    assert err.startswith(f"streamstack: error: {said}"), err


async def test_items_edit_refuses_a_wrong_word_for_comments(tmp_path: Path) -> None:
    code, out, err = await CommandLine("items", tmp_path, "token")(
        "edit", str(uuid.uuid4()), "--comments", "maybe", "--server", "http://127.0.0.1:9"
    )
    assert (code, out) == (2, ""), err
    assert "--comments" in err.splitlines()[-1]
