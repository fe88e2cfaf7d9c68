"""The public search is budgeted per client address: past its burst, 429 with Retry-After.

A search no trigram narrows reads every item; without a budget one anonymous client could
repeat it until the database served nobody else. Only what the database runs is counted:
pages from the viewers' cache, plain list pages and admins' searches are free.
"""

from __future__ import annotations

import httpx
from catalogue_testing import API, admin_headers

from support.apps import running_app
from support.clock import HeldClock
from support.fixtures import SettingsFactory

BURST = 3
REFILL_SECONDS = 5


def assert_throttled(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert (body["status"], body["code"]) == (429, "searches_throttled"), body
    assert response.headers["retry-after"] == str(REFILL_SECONDS)


async def test_one_address_searching_in_a_loop_is_throttled(
    settings_factory: SettingsFactory,
) -> None:
    clock = HeldClock()
    settings = settings_factory(
        modules=("catalogue",), search_burst=BURST, search_refill_seconds=REFILL_SECONDS
    )
    async with running_app(settings, clock=clock) as client:
        admin = admin_headers(settings)
        other = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=client.app, client=("192.0.2.7", 4321)),
            base_url=str(client.base_url),
        )

        async def search(
            q: str, *, by: httpx.AsyncClient = client, **params: str
        ) -> httpx.Response:
            return await by.get(f"{API}/", params={"q": q, **params})

        for n in range(BURST):
            assert (await search(f"ab{n}")).status_code == 200
        assert_throttled(await search("abz"))
        assert_throttled(await search("abz", page="2"))  # every page of a search counts
        # Free: a page the viewers' cache holds, the plain list, an admin's search.
        assert (await search("ab0")).status_code == 200
        assert (await client.get(f"{API}/")).status_code == 200
        admin_search = await client.get(f"{API}/", params={"q": "abz"}, headers=admin)
        assert admin_search.status_code == 200
        async with other:  # another address has its own budget
            assert (await search("abz", by=other)).status_code == 200
        clock.advance(REFILL_SECONDS)  # one search back
        assert (await search("aby")).status_code == 200
        assert_throttled(await search("abx"))
