"""``GET /api/v1/catalogue/counts`` on both backend kinds: how many items each choice of
the Library's Status and Processing filters shows (the filtered list's total; Processing's
over every status, as the Library's "All" lists)
and how many comments have reports waiting; admins alone (a viewer 403, a guest and a
revoked token 401), and nothing it is sent changes anything."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from catalogue_testing import API, admin_headers, create_item, register_queued, viewer_headers
from comment_testing import person
from comment_testing import post as commented
from jose import jwt

from streamstack.contracts.catalogue import CatalogueClient, ProcessingUpdate
from streamstack.kernel.revocation import (
    REVOCATION_TTL_SECONDS,
    REVOKED_TOKENS_BUCKET,
    RevocationList,
)
from streamstack.kernel.transport import InProcessTransport
from support.apps import AppClient, bearer, mint_token

COUNTS = f"{API}/counts"


async def counts(client: AppClient) -> dict[str, Any]:
    r = await client.get(COUNTS, headers=admin_headers(client.app.state.settings))
    assert r.status_code == 200, r.text
    answer: dict[str, Any] = r.json()
    return answer


async def listed_total(client: AppClient, **params: str) -> int:
    """The total of the admins' list filtered as ``params`` say."""
    headers = admin_headers(client.app.state.settings)
    r = await client.get(f"{API}/", params=params, headers=headers)
    assert r.status_code == 200, r.text
    total: int = r.json()["total"]
    return total


async def report(client: AppClient, comment_id: str, headers: dict[str, str]) -> None:
    r = await client.post(f"{API}/comments/{comment_id}/reports", json={}, headers=headers)
    assert r.status_code == 204, r.text


async def test_the_counts_are_what_each_filter_lists(catalogue_client: AppClient) -> None:
    client, settings = catalogue_client, catalogue_client.app.state.settings
    admin = admin_headers(settings)
    assert await counts(client) == {
        "status": {"all": 0, "draft": 0, "scheduled": 0, "published": 0},
        "processing": dict.fromkeys(
            ("none", "queued", "processing", "ready", "failed", "outdated"), 0
        ),
        "reported_comments": 0,
    }
    plain = await create_item(client, settings)  # h264, never transcoded: outdated too
    await create_item(client, settings, publish=False, video_codec=None)
    scheduled = await create_item(client, settings, publish=False)
    later = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=2)).isoformat()
    r = await client.patch(f"{API}/{scheduled['id']}", json={"publish_at": later}, headers=admin)
    assert r.status_code == 200, r.text
    await register_queued(client, settings, playable=False)
    worker = CatalogueClient(InProcessTransport(client.app.state.operations))
    for _ in range(2):
        failed = await register_queued(client, settings, playable=False)
        update = ProcessingUpdate(media_id=failed["id"], state="failed", detail="out of memory")
        await worker.update_processing(update)
    # Two reported comments (one twice), one dismissed, one never reported.
    _, ada = person(client, "Ada")
    _, bob = person(client, "Bob")
    comments = [
        str((await commented(client, plain["id"], ada, f"comment {n}"))["id"]) for n in range(4)
    ]
    for comment_id, reporters in zip(comments, ((bob,), (bob, admin), (bob,)), strict=False):
        for headers in reporters:
            await report(client, comment_id, headers)
    r = await client.delete(f"{API}/comments/{comments[2]}/reports", headers=admin)
    assert r.status_code == 204, r.text

    answer = await counts(client)

    assert answer["status"] == {"all": 6, "draft": 2, "scheduled": 1, "published": 4}
    assert answer["processing"] == {
        "none": 3,
        "queued": 1,
        "processing": 0,
        "ready": 0,
        "failed": 2,
        "outdated": 2,
    }
    assert answer["reported_comments"] == 2
    for status, count in answer["status"].items():
        assert await listed_total(client, status=status) == count, status
    for state, count in answer["processing"].items():
        assert await listed_total(client, status="all", processing=state) == count, state


async def test_only_admins_are_told_the_counts(catalogue_client: AppClient) -> None:
    client, settings = catalogue_client, catalogue_client.app.state.settings
    await create_item(client, settings)
    r = await client.get(COUNTS, headers=viewer_headers(settings))
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")
    r = await client.get(COUNTS)
    assert r.status_code == 401, r.text
    token = mint_token(settings, role="admin", user_id=str(uuid.uuid4()))
    revocations = RevocationList(
        client.app.state.backends.kv(REVOKED_TOKENS_BUCKET, REVOCATION_TTL_SECONDS)
    )
    await revocations.revoke(jwt.get_unverified_claims(token)["jti"])
    r = await client.get(COUNTS, headers=bearer(token))
    assert (r.status_code, r.json()["code"]) == (401, "token_revoked")
    # What a confused client adds is ignored or refused, never a 500, and changes nothing.
    admin = admin_headers(settings)
    r = await client.post(COUNTS, headers=admin)
    assert r.status_code in (404, 405), r.text
    r = await client.get(COUNTS, params={"status": "x" * 10_000}, headers=admin)
    assert r.status_code == 200, r.text
    assert (await counts(client))["status"]["all"] == 1
