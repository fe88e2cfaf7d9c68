"""The hand-written migration builds exactly the tables the models describe, on both backends."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import msgspec
from sqlalchemy import DateTime, Uuid, bindparam, delete, insert, inspect, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from streamstack.catalogue.models import (
    CatalogueBase,
    CommentReportRow,
    CommentRow,
    ItemDayRow,
    LikeRow,
    MediaItemRow,
    MediaTagRow,
    OutboxRow,
    PlaylistEntryRow,
    PlaylistRow,
    PlayTicketRow,
    ShareLinkRow,
)
from streamstack.catalogue.module import MODULE
from streamstack.catalogue.search import (
    FTS_TABLE,
    TITLE_TRIGRAM_INDEX,
    TRIGRAM_INDEX,
    WORDS_TRIGRAM_INDEX,
)
from streamstack.cli import apply_migrations
from streamstack.contracts.catalogue import MEDIA_UNPUBLISHED, MediaWithdrawn
from streamstack.kernel.db import Database
from support.fixtures import SettingsFactory
from support.migrations import Revisions


def _not_search_index(name: str | None, kind: str, parents: Any) -> bool:
    """The search indexes live only in the migrations (FTS5 table and its keys / pg_trgm
    GIN indexes)."""
    indexes = (FTS_TABLE, TRIGRAM_INDEX, TITLE_TRIGRAM_INDEX, WORDS_TRIGRAM_INDEX)
    return not (name or "").startswith(indexes)


REVISIONS = Revisions(MODULE, CatalogueBase.metadata, include_name=_not_search_index)


def index_names(connection: Connection) -> dict[str, set[str]]:
    inspector = inspect(connection)
    return {
        table: {index["name"] or "" for index in inspector.get_indexes(table)}
        for table in ("media_items", "media_tags", "catalogue_outbox")
    }


async def test_the_migration_matches_the_models(settings_factory: SettingsFactory) -> None:
    settings = settings_factory(modules=("catalogue",))
    await apply_migrations(settings, settings.modules)
    await apply_migrations(settings, settings.modules)  # a second run is a no-op
    database = Database(settings.effective_database_url)
    try:
        async with database.engine.connect() as connection:
            assert await connection.run_sync(REVISIONS.differences) == []
            indexes = await connection.run_sync(index_names)
    finally:
        await database.close()
    assert {
        "ix_media_items_status_published_at",
        "ix_media_items_status_created_at",
        "ix_media_items_status_title_order",
        "ix_media_items_status_duration",
    } <= indexes["media_items"]
    assert "ix_media_tags_tag_media_id" in indexes["media_tags"]
    assert "ix_catalogue_outbox_pending" in indexes["catalogue_outbox"]


OLD_ITEM = text(
    "INSERT INTO media_items (id, title, title_key, description, status, s3_key, size_bytes,"
    " content_type, video_codec, audio_codec, search_text, created_by, created_at, updated_at)"
    " VALUES (:id, 't', 't', '', 'published', 'k.mp4', 1, :content_type, :video, :audio, 't',"
    " 'x', :now, :now)"
).bindparams(bindparam("id", type_=Uuid()), bindparam("now", type_=DateTime(timezone=True)))


async def test_items_from_before_processing_are_playable_only_if_browser_safe(
    settings_factory: SettingsFactory,
) -> None:
    settings = settings_factory(modules=("catalogue",))
    database = Database(settings.effective_database_url)
    now = datetime.datetime.now(datetime.UTC)
    old = {
        uuid.uuid4(): ("video/mp4", "h264", "aac", True),
        uuid.uuid4(): ("video/mp4", "h264", None, True),  # no audio track
        uuid.uuid4(): ("video/quicktime", "hevc", "aac", False),
        uuid.uuid4(): ("video/x-msvideo", "mpeg4", "mp3", False),
        uuid.uuid4(): ("video/mp4", None, None, False),  # never probed
    }
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.upgrade, "catalogue_0001")
            for item_id, (content_type, video, audio, _) in old.items():
                await connection.execute(
                    OLD_ITEM,
                    {
                        "id": item_id,
                        "content_type": content_type,
                        "video": video,
                        "audio": audio,
                        "now": now,
                    },
                )
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.upgrade, "head")
            rows = await connection.execute(
                select(
                    MediaItemRow.id,
                    MediaItemRow.playable,
                    MediaItemRow.original_playable,
                    MediaItemRow.processing_state,
                    MediaItemRow.renditions,
                )
            )
            found = {row.id: row for row in rows}
    finally:
        await database.close()
    for item_id, (*_, playable) in old.items():
        row = found[item_id]
        assert (row.playable, row.original_playable) == (playable, playable), row
        assert (row.processing_state, row.renditions) == ("none", [])


async def test_viewer_indexes_come_and_go_with_their_revision(
    settings_factory: SettingsFactory,
) -> None:
    """catalogue_0006 adds the viewers' list indexes; its downgrade drops exactly them."""
    viewers = {
        "ix_media_items_viewers_published_at",
        "ix_media_items_viewers_title_order",
        "ix_media_items_viewers_duration",
    }
    settings = settings_factory(modules=("catalogue",))
    database = Database(settings.effective_database_url)
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.upgrade, "head")
            assert viewers <= (await connection.run_sync(index_names))["media_items"]
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.downgrade, "catalogue_0005")
            left = (await connection.run_sync(index_names))["media_items"]
            assert not viewers & left
            assert "ix_media_items_status_published_at" in left
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.upgrade, "head")
            assert await connection.run_sync(REVISIONS.differences) == []
    finally:
        await database.close()


async def search_index_options(connection: AsyncConnection) -> list[str] | None:
    """The storage options of PostgreSQL's trigram index (None on SQLite: no such index)."""
    if connection.dialect.name != "postgresql":
        return None
    found = await connection.scalar(
        text("SELECT reloptions FROM pg_class WHERE relname = :name"), {"name": TRIGRAM_INDEX}
    )
    return list(found or [])


async def test_the_search_index_takes_each_change_at_once(
    settings_factory: SettingsFactory,
) -> None:
    """catalogue_0007 turns GIN's pending list off (Postgres); its downgrade turns it back."""
    settings = settings_factory(modules=("catalogue",))
    database = Database(settings.effective_database_url)
    postgres = not database.is_sqlite
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.upgrade, "head")
            assert await search_index_options(connection) == (
                ["fastupdate=off"] if postgres else None
            )
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.downgrade, "catalogue_0006")
            assert await search_index_options(connection) == ([] if postgres else None)
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.upgrade, "head")
            assert await connection.run_sync(REVISIONS.differences) == []
    finally:
        await database.close()


async def test_the_tiered_search_indexes_come_and_go_with_their_revision(
    settings_factory: SettingsFactory,
) -> None:
    """catalogue_0008 rebuilds SQLite's FTS5 table (contentless, with a title column and
    its own row keys) from the items already there, and adds PostgreSQL's title trigram
    index; its downgrade restores catalogue_0004's table and triggers."""
    settings = settings_factory(modules=("catalogue",))
    database = Database(settings.effective_database_url)
    now = datetime.datetime.now(datetime.UTC)
    item_id = uuid.uuid4()
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.upgrade, "catalogue_0007")
            await connection.execute(
                OLD_ITEM,
                {
                    "id": item_id,
                    "content_type": "video/mp4",
                    "video": "h264",
                    "audio": "aac",
                    "now": now,
                },
            )
            await connection.run_sync(REVISIONS.upgrade, "head")
            assert await connection.run_sync(REVISIONS.differences) == []
            assert await search_hits(connection) == 1
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.downgrade, "catalogue_0007")
            assert await search_hits(connection, before_0008=True) == 1
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.upgrade, "head")
            assert await search_hits(connection) == 1
            assert await connection.run_sync(REVISIONS.differences) == []
    finally:
        await database.close()


async def search_hits(connection: AsyncConnection, *, before_0008: bool = False) -> int | None:
    """Items in SQLite's search index (each item's text is "t"), or whether PostgreSQL's
    title index exists (1 or 0; before catalogue_0008 it must not)."""
    if connection.dialect.name == "postgresql":
        found = await connection.scalar(
            text("SELECT count(*) FROM pg_class WHERE relname = :name"),
            {"name": TITLE_TRIGRAM_INDEX},
        )
        return 1 - int(found or 0) if before_0008 else int(found or 0)
    # Literal names: the two revisions' tables (FTS_TABLE is both's name).
    if before_0008:
        query = "SELECT count(*) FROM media_search WHERE media_id IS NOT NULL"
    else:
        query = (
            "SELECT count(*) FROM media_search JOIN media_search_keys AS k"
            " ON k.key = media_search.rowid"
        )
    return int(await connection.scalar(text(query)) or 0)


async def test_playlists_come_and_go_with_their_revision(
    settings_factory: SettingsFactory,
) -> None:
    """catalogue_0015 adds the playlists and their entries, whose rows go with their item
    (the foreign key cascades on both backends); its downgrade drops exactly them."""
    settings = settings_factory(modules=("catalogue",))
    database = Database(settings.effective_database_url)
    now = datetime.datetime.now(datetime.UTC)
    item_id, playlist_id = uuid.uuid4(), uuid.uuid4()
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.upgrade, "catalogue_0014")
            assert "playlists" not in await connection.run_sync(table_names)
            await connection.run_sync(REVISIONS.upgrade, "head")
            assert await connection.run_sync(REVISIONS.differences) == []
            values = {"content_type": "video/mp4", "video": "h264", "audio": "aac", "now": now}
            await connection.execute(OLD_ITEM, {"id": item_id, **values})
            # The models' tables are the revision's (``differences`` above is empty).
            await connection.execute(
                insert(PlaylistRow).values(
                    id=playlist_id,
                    user_id=playlist_id,
                    title="p",
                    description="",
                    created_at=now,
                    updated_at=now,
                )
            )
            await connection.execute(
                insert(PlaylistEntryRow).values(
                    playlist_id=playlist_id, media_id=item_id, position=0, added_at=now
                )
            )
            await connection.execute(
                text("DELETE FROM media_items WHERE id = :id").bindparams(
                    bindparam("id", type_=Uuid())
                ),
                {"id": item_id},
            )
            assert await connection.scalar(text("SELECT count(*) FROM playlist_entries")) == 0
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.downgrade, "catalogue_0014")
            assert {"playlists", "playlist_entries"}.isdisjoint(
                await connection.run_sync(table_names)
            )
            await connection.run_sync(REVISIONS.upgrade, "head")
            assert await connection.run_sync(REVISIONS.differences) == []
    finally:
        await database.close()


def table_names(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_drafts_from_before_are_announced_as_not_published(
    settings_factory: SettingsFactory,
) -> None:
    """catalogue_0016 writes one ``media.unpublished`` a draft into the outbox (streaming
    refuses the stills of what it knows is unpublished); published items get none."""
    settings = settings_factory(modules=("catalogue",))
    database = Database(settings.effective_database_url)
    now = datetime.datetime.now(datetime.UTC)
    drafts, published = {uuid.uuid4(), uuid.uuid4()}, uuid.uuid4()
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.upgrade, "catalogue_0015")
            for item_id in (*drafts, published):
                values = {"id": item_id, "content_type": "video/mp4", "now": now}
                await connection.execute(OLD_ITEM, {**values, "video": "h264", "audio": None})
            await connection.execute(
                update(MediaItemRow.__table__)
                .where(MediaItemRow.__table__.c.id.in_(drafts))
                .values(status="draft")
            )
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.upgrade, "head")
            query = select(OutboxRow.subject, OutboxRow.payload, OutboxRow.created_at)
            rows = (await connection.execute(query)).all()  # as the relay reads them
    finally:
        await database.close()
    assert {subject for subject, _, _ in rows} == {MEDIA_UNPUBLISHED}
    assert all(abs((created - now).total_seconds()) < 60 for _, _, created in rows)
    announced = [msgspec.json.decode(payload, type=MediaWithdrawn) for _, payload, _ in rows]
    assert sorted(w.id for w in announced) == sorted(str(d) for d in drafts)
    for withdrawn in announced:
        assert (withdrawn.s3_key, withdrawn.object_prefix) == ("k.mp4", f"{withdrawn.id}/")
        assert withdrawn.thumbnail_s3_key is None
        assert abs((withdrawn.withdrawn_at - now).total_seconds()) < 60


#: An item as catalogue_0017 stored it: title key and search text lower-cased.
LOWER_CASED = {"title_key": "café straße", "search_text": "café straße\nnaïve\ncrème zürich"}
FOLDED = {"title_key": "cafe strasse", "search_text": "cafe strasse\nnaive\ncreme zurich"}


async def test_search_text_is_folded_and_back_with_its_revision(
    settings_factory: SettingsFactory,
) -> None:
    """catalogue_0018 rewrites an item's title key and search text folded (accents, ß),
    and SQLite's FTS5 table follows; its downgrade writes the lower-cased forms back from
    the item's title, description and tags."""
    settings = settings_factory(modules=("catalogue",))
    database = Database(settings.effective_database_url)
    item_id = uuid.uuid4()
    values = {"content_type": "video/mp4", "video": "h264", "audio": "aac"}
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.upgrade, "catalogue_0017")
            now = datetime.datetime.now(datetime.UTC)
            await connection.execute(OLD_ITEM, {"id": item_id, "now": now, **values})
            items = MediaItemRow.__table__
            await connection.execute(
                update(items)
                .where(items.c.id == item_id)
                .values(title="Café Straße", description="Naïve", **LOWER_CASED)
            )
            for tag in ("zürich", "crème"):
                await connection.execute(insert(MediaTagRow).values(media_id=item_id, tag=tag))
            await connection.run_sync(REVISIONS.upgrade, "head")
            assert await derived(connection) == FOLDED
            assert await indexed(connection, "strasse") == (1, 1)
            assert await indexed(connection, "straße") == (0, 0)
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.downgrade, "catalogue_0017")
            assert await derived(connection) == LOWER_CASED
            assert await indexed(connection, "straße") == (1, 1)
            await connection.run_sync(REVISIONS.upgrade, "head")
            assert await derived(connection) == FOLDED
            assert await connection.run_sync(REVISIONS.differences) == []
    finally:
        await database.close()


async def derived(connection: AsyncConnection) -> dict[str, str]:
    row = (await connection.execute(select(MediaItemRow.title_key, MediaItemRow.search_text))).one()
    return {"title_key": row.title_key, "search_text": row.search_text}


async def indexed(connection: AsyncConnection, word: str) -> tuple[int, int]:
    """Items whose title and whose search text hold ``word``: through SQLite's FTS5 table
    (what its searches read), the columns themselves on PostgreSQL (its indexes follow
    any update)."""
    if connection.dialect.name == "postgresql":
        query = (
            "SELECT count(*) FILTER (WHERE title_key LIKE '%' || :word || '%'),"
            " count(*) FILTER (WHERE search_text LIKE '%' || :word || '%') FROM media_items"
        )
    else:
        # Literal names: FTS_TABLE is media_search.
        query = (
            "SELECT (SELECT count(*) FROM media_search WHERE media_search MATCH :in_titles),"
            " (SELECT count(*) FROM media_search WHERE media_search MATCH :phrase)"
        )
    values = {"word": word, "phrase": f'"{word}"'}
    if connection.dialect.name == "sqlite":
        values["in_titles"] = f"{await fts_title_column(connection)} : {values['phrase']}"
    found = (await connection.execute(text(query), values)).one()
    return int(found[0]), int(found[1])


async def test_titles_sort_by_their_numbers_with_their_revision(
    settings_factory: SettingsFactory,
) -> None:
    """catalogue_0019 gives the items there are a title order with numbers by value, and
    the title sort's indexes on it; its downgrade puts back those on ``title_key``."""
    settings = settings_factory(modules=("catalogue",))
    database = Database(settings.effective_database_url)
    keys = ("part 10", "part 9", "part 1 of 2", "part 02b")
    values = {"content_type": "video/mp4", "video": "h264", "audio": "aac"}
    items = MediaItemRow.__table__
    in_order = select(items.c.title_key).order_by(items.c.title_order, items.c.id)
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.upgrade, "catalogue_0018")
            now = datetime.datetime.now(datetime.UTC)
            for key in keys:
                item_id = uuid.uuid4()
                await connection.execute(OLD_ITEM, {"id": item_id, "now": now, **values})
                await connection.execute(
                    update(items).where(items.c.id == item_id).values(title_key=key)
                )
            await connection.run_sync(REVISIONS.upgrade, "head")
            ordered = list(await connection.scalars(in_order))
            assert ordered == ["part 1 of 2", "part 02b", "part 9", "part 10"]
            names = (await connection.run_sync(index_names))["media_items"]
            assert {
                "ix_media_items_status_title_order",
                "ix_media_items_viewers_title_order",
            } <= names
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.downgrade, "catalogue_0018")
            names = (await connection.run_sync(index_names))["media_items"]
            assert {"ix_media_items_status_title_key", "ix_media_items_viewers_title_key"} <= names
            columns = {c["name"] for c in await connection.run_sync(table_columns)}
            assert "title_order" not in columns
            await connection.run_sync(REVISIONS.upgrade, "head")
            assert await connection.run_sync(REVISIONS.differences) == []
    finally:
        await database.close()


def table_columns(connection: Connection) -> list[Any]:
    return list(inspect(connection).get_columns("media_items"))


async def test_a_downgrade_keeps_what_hangs_off_items(settings_factory: SettingsFactory) -> None:
    """Downgrades drop their columns in place: a table rebuild (alembic's batch mode on
    SQLite) dropped ``media_items`` under the cascading keys of tags (and captions, watch
    progress, playlist entries), which went with it."""
    settings = settings_factory(modules=("catalogue",))
    database = Database(settings.effective_database_url)
    item_id = uuid.uuid4()
    values = {"content_type": "video/mp4", "video": "h264", "audio": "aac"}
    tags = select(MediaTagRow.tag).where(MediaTagRow.media_id == item_id)
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.upgrade, "head")
            now = datetime.datetime.now(datetime.UTC)
            await connection.execute(OLD_ITEM, {"id": item_id, "now": now, **values})
            await connection.execute(insert(MediaTagRow).values(media_id=item_id, tag="kept"))
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.downgrade, "catalogue_0001")
            assert list(await connection.scalars(tags)) == ["kept"]
            await connection.run_sync(REVISIONS.upgrade, "head")
            assert list(await connection.scalars(tags)) == ["kept"]
            assert await connection.run_sync(REVISIONS.differences) == []
    finally:
        await database.close()


async def test_playlists_are_private_and_kept_with_their_visibility_revision(
    settings_factory: SettingsFactory,
) -> None:
    """catalogue_0020 gives the playlists there are a ``visibility``, private; its downgrade
    drops the column in place, the playlists and their entries kept (a rebuilt table would
    have taken the entries with it)."""
    settings = settings_factory(modules=("catalogue",))
    database = Database(settings.effective_database_url)
    item_id, playlist_id = uuid.uuid4(), uuid.uuid4()
    values = {"content_type": "video/mp4", "video": "h264", "audio": "aac"}
    old_playlist = text(
        "INSERT INTO playlists (id, user_id, title, description, created_at, updated_at)"
        " VALUES (:id, :id, 'p', '', :now, :now)"
    ).bindparams(bindparam("id", type_=Uuid()), bindparam("now", type_=DateTime(timezone=True)))
    entries = select(PlaylistEntryRow.media_id).where(PlaylistEntryRow.playlist_id == playlist_id)
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.upgrade, "catalogue_0019")
            now = datetime.datetime.now(datetime.UTC)
            await connection.execute(OLD_ITEM, {"id": item_id, "now": now, **values})
            await connection.execute(old_playlist, {"id": playlist_id, "now": now})
            await connection.execute(
                insert(PlaylistEntryRow).values(
                    playlist_id=playlist_id, media_id=item_id, position=0, added_at=now
                )
            )
            await connection.run_sync(REVISIONS.upgrade, "catalogue_0020")
            assert await connection.scalar(select(PlaylistRow.visibility)) == "private"
            await connection.execute(update(PlaylistRow).values(visibility="unlisted"))
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.downgrade, "catalogue_0019")
            columns = await connection.run_sync(
                lambda sync: {c["name"] for c in inspect(sync).get_columns("playlists")}
            )
            assert "visibility" not in columns
            assert list(await connection.scalars(entries)) == [item_id]
            await connection.run_sync(REVISIONS.upgrade, "head")
            assert list(await connection.scalars(entries)) == [item_id]
            assert await connection.scalar(select(PlaylistRow.visibility)) == "private"
            assert await connection.run_sync(REVISIONS.differences) == []
    finally:
        await database.close()


async def test_stills_an_admin_made_count_as_chosen_with_their_revision(
    settings_factory: SettingsFactory,
) -> None:
    """catalogue_0023 records whether an admin chose an item's stills: every item with a
    stills version (an admin made them again: a frame, an image or the automatic one, not
    told apart before) counts as chosen, so a replaced file keeps them; its downgrade drops
    the column in place, the items kept."""
    settings = settings_factory(modules=("catalogue",))
    database = Database(settings.effective_database_url)
    chosen, automatic = uuid.uuid4(), uuid.uuid4()
    values = {"content_type": "video/mp4", "video": "h264", "audio": "aac"}
    items = select(MediaItemRow.id, MediaItemRow.stills_chosen)
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.upgrade, "catalogue_0021")
            now = datetime.datetime.now(datetime.UTC)
            for item_id in (chosen, automatic):
                await connection.execute(OLD_ITEM, {"id": item_id, "now": now, **values})
            await connection.execute(
                update(MediaItemRow.__table__)
                .where(MediaItemRow.__table__.c.id == chosen)
                .values(stills_version="0123456789abcdef")
            )
            await connection.run_sync(REVISIONS.upgrade, "catalogue_0023")
            assert dict((await connection.execute(items)).all()) == {chosen: True, automatic: False}
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.downgrade, "catalogue_0021")
            columns = await connection.run_sync(
                lambda sync: {c["name"] for c in inspect(sync).get_columns("media_items")}
            )
            assert "stills_chosen" not in columns
            assert set(await connection.scalars(select(MediaItemRow.id))) == {chosen, automatic}
            await connection.run_sync(REVISIONS.upgrade, "head")
            assert await connection.run_sync(REVISIONS.differences) == []
    finally:
        await database.close()


async def test_titles_have_their_whole_words_with_their_revision(
    settings_factory: SettingsFactory,
) -> None:
    """catalogue_0024 gives the items there their ``title_words`` (every separator a
    space, one at each end) and indexes it (SQLite's FTS5 table built again with it,
    PostgreSQL's trigram index); its downgrade drops it in place, the items and their
    search index kept."""
    settings = settings_factory(modules=("catalogue",))
    database = Database(settings.effective_database_url)
    item_id = uuid.uuid4()
    values = {"content_type": "video/mp4", "video": "h264", "audio": "aac"}
    items = MediaItemRow.__table__
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.upgrade, "catalogue_0023")
            now = datetime.datetime.now(datetime.UTC)
            await connection.execute(OLD_ITEM, {"id": item_id, "now": now, **values})
            await connection.execute(
                update(items).where(items.c.id == item_id).values(title_key="the cat-flap")
            )
            await connection.run_sync(REVISIONS.upgrade, "head")
            assert await connection.scalar(select(items.c.title_words)) == " the cat flap "
            assert await whole_word_hits(connection, "cat") == 1
            assert await whole_word_hits(connection, "ca") == 0
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.downgrade, "catalogue_0023")
            columns = {c["name"] for c in await connection.run_sync(table_columns)}
            assert "title_words" not in columns
            assert await whole_word_hits(connection, "cat") is None
            assert await search_hits(connection) == 1  # catalogue_0008's index, the item in it
            await connection.run_sync(REVISIONS.upgrade, "head")
            assert await connection.scalar(select(items.c.title_words)) == " the cat flap "
            assert await whole_word_hits(connection, "flap") == 1
            assert await connection.run_sync(REVISIONS.differences) == []
    finally:
        await database.close()


async def whole_word_hits(connection: AsyncConnection, word: str) -> int | None:
    """Items whose title holds ``word`` whole, as the search index finds them (None
    without the index)."""
    if connection.dialect.name == "postgresql":
        index = await connection.scalar(
            text("SELECT count(*) FROM pg_class WHERE relname = :name"),
            {"name": WORDS_TRIGRAM_INDEX},
        )
        if not index:
            return None
        query = "SELECT count(*) FROM media_items WHERE title_words LIKE :pattern"
        return int(await connection.scalar(text(query), {"pattern": f"% {word} %"}) or 0)
    if await fts_title_column(connection) != "title_words":
        return None
    query = "SELECT count(*) FROM media_search WHERE media_search MATCH :match"
    match = f'title_words : " {word} "'
    return int(await connection.scalar(text(query), {"match": match}) or 0)


async def fts_title_column(connection: AsyncConnection) -> str:
    """The column of SQLite's FTS5 table holding the titles: ``title_key`` until
    catalogue_0024, ``title_words`` since."""
    table = await connection.scalar(
        text("SELECT sql FROM sqlite_master WHERE name = :n"), {"n": FTS_TABLE}
    )
    return "title_words" if "title_words" in str(table) else "title_key"


async def test_items_take_comments_with_their_revision(settings_factory: SettingsFactory) -> None:
    """catalogue_0026: every existing item takes comments and has none; its downgrade drops
    the comments, their authors' names and both columns in place, the items kept."""
    settings = settings_factory(modules=("catalogue",))
    database = Database(settings.effective_database_url)
    item_id = uuid.uuid4()
    values = {"content_type": "video/mp4", "video": "h264", "audio": "aac"}
    columns = select(MediaItemRow.comments_enabled, MediaItemRow.comment_count)
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.upgrade, "catalogue_0025")
            now = datetime.datetime.now(datetime.UTC)
            await connection.execute(OLD_ITEM, {"id": item_id, "now": now, **values})
            await connection.run_sync(REVISIONS.upgrade, "catalogue_0026")
            assert (await connection.execute(columns)).all() == [(True, 0)]
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.downgrade, "catalogue_0025")
            found = await connection.run_sync(
                lambda sync: (
                    {c["name"] for c in inspect(sync).get_columns("media_items")},
                    set(inspect(sync).get_table_names()),
                )
            )
            assert not {"comments_enabled", "comment_count"} & found[0]
            assert not {"catalogue_comments", "catalogue_commenters"} & found[1]
            assert set(await connection.scalars(select(MediaItemRow.id))) == {item_id}
            await connection.run_sync(REVISIONS.upgrade, "head")
            assert await connection.run_sync(REVISIONS.differences) == []
    finally:
        await database.close()


async def test_comment_reports_come_and_go_with_their_revision(
    settings_factory: SettingsFactory,
) -> None:
    """catalogue_0028: the reports' table (going with its comment) and the comments' index
    across items; its downgrade drops both, the comments kept."""
    settings = settings_factory(modules=("catalogue",))
    database = Database(settings.effective_database_url)
    item_id, comment_id = uuid.uuid4(), uuid.uuid4()
    values = {"content_type": "video/mp4", "video": "h264", "audio": "aac"}
    now = datetime.datetime.now(datetime.UTC)
    comment = {"item_id": item_id, "user_id": uuid.uuid4(), "body": "hi", "created_at": now}

    def found(sync: Connection) -> tuple[set[str], set[str]]:
        inspector = inspect(sync)
        indexes = {index["name"] or "" for index in inspector.get_indexes("catalogue_comments")}
        return set(inspector.get_table_names()), indexes

    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.upgrade, "catalogue_0027")
            await connection.execute(OLD_ITEM, {"id": item_id, "now": now, **values})
            await connection.execute(insert(CommentRow).values(id=comment_id, **comment))
            await connection.run_sync(REVISIONS.upgrade, "catalogue_0028")
            tables, indexes = await connection.run_sync(found)
            assert "catalogue_comment_reports" in tables
            assert "ix_catalogue_comments_created" in indexes
            report = {"user_id": uuid.uuid4(), "reason": None, "created_at": now}
            await connection.execute(
                insert(CommentReportRow).values(comment_id=comment_id, **report)
            )
            await connection.execute(delete(CommentRow))  # its reports go with it
            assert list(await connection.scalars(select(CommentReportRow.user_id))) == []
            await connection.execute(insert(CommentRow).values(id=comment_id, **comment))
            await connection.execute(
                insert(CommentReportRow).values(comment_id=comment_id, **report)
            )
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.downgrade, "catalogue_0027")
            tables, indexes = await connection.run_sync(found)
            assert "catalogue_comment_reports" not in tables
            assert "ix_catalogue_comments_created" not in indexes
            assert list(await connection.scalars(select(CommentRow.id))) == [comment_id]
            await connection.run_sync(REVISIONS.upgrade, "head")
            assert await connection.run_sync(REVISIONS.differences) == []
    finally:
        await database.close()


async def test_likes_come_and_go_with_their_revision(settings_factory: SettingsFactory) -> None:
    """catalogue_0029: every existing item has no likes; a like goes with its item; the
    downgrade drops the likes and the count in place, the items kept."""
    settings = settings_factory(modules=("catalogue",))
    database = Database(settings.effective_database_url)
    item_id = uuid.uuid4()
    values = {"content_type": "video/mp4", "video": "h264", "audio": "aac"}
    now = datetime.datetime.now(datetime.UTC)

    def found(sync: Connection) -> tuple[set[str], set[str]]:
        inspector = inspect(sync)
        columns = {column["name"] for column in inspector.get_columns("media_items")}
        return set(inspector.get_table_names()), columns

    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.upgrade, "catalogue_0028")
            await connection.execute(OLD_ITEM, {"id": item_id, "now": now, **values})
            await connection.run_sync(REVISIONS.upgrade, "catalogue_0029")
            assert list(await connection.scalars(select(MediaItemRow.like_count))) == [0]
            like = {"user_id": uuid.uuid4(), "item_id": item_id, "liked_at": now}
            await connection.execute(insert(LikeRow).values(**like))
            await connection.execute(delete(MediaItemRow))  # its likes go with it
            assert list(await connection.scalars(select(LikeRow.user_id))) == []
            await connection.execute(OLD_ITEM, {"id": item_id, "now": now, **values})
            await connection.execute(insert(LikeRow).values(**like))
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.downgrade, "catalogue_0028")
            tables, columns = await connection.run_sync(found)
            assert "catalogue_likes" not in tables and "like_count" not in columns
            assert set(await connection.scalars(select(MediaItemRow.id))) == {item_id}
            await connection.run_sync(REVISIONS.upgrade, "head")
            assert await connection.run_sync(REVISIONS.differences) == []
    finally:
        await database.close()


async def test_comment_replies_come_and_go_with_their_revision(
    settings_factory: SettingsFactory,
) -> None:
    """catalogue_0030: comments kept as top-level ones with no replies, their reports kept
    (no table rebuilt); a reply goes with its comment (the key cascades, on SQLite too,
    whose ADD COLUMN carries it inline); the downgrade keeps replies, as comments."""
    settings = settings_factory(modules=("catalogue",))
    database = Database(settings.effective_database_url)
    item_id, comment_id, reply_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    values = {"content_type": "video/mp4", "video": "h264", "audio": "aac"}
    now = datetime.datetime.now(datetime.UTC)
    comment = {"item_id": item_id, "user_id": uuid.uuid4(), "body": "hi", "created_at": now}
    report = {"comment_id": comment_id, "user_id": uuid.uuid4(), "created_at": now}
    threads = select(CommentRow.id, CommentRow.parent_id, CommentRow.reply_count)
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.upgrade, "catalogue_0029")
            await connection.execute(OLD_ITEM, {"id": item_id, "now": now, **values})
            await connection.execute(insert(CommentRow).values(id=comment_id, **comment))
            await connection.execute(insert(CommentReportRow).values(**report))
            await connection.run_sync(REVISIONS.upgrade, "catalogue_0030")
            assert (await connection.execute(threads)).all() == [(comment_id, None, 0)]
            assert len(list(await connection.scalars(select(CommentReportRow.user_id)))) == 1
            await connection.execute(
                insert(CommentRow).values(id=reply_id, parent_id=comment_id, **comment)
            )
            await connection.execute(delete(CommentRow).where(CommentRow.id == comment_id))
            assert (await connection.execute(threads)).all() == []  # the reply went with it
            await connection.execute(insert(CommentRow).values(id=comment_id, **comment))
            await connection.execute(
                insert(CommentRow).values(id=reply_id, parent_id=comment_id, **comment)
            )
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.downgrade, "catalogue_0029")
            kept = await connection.scalars(select(CommentRow.id).order_by(CommentRow.id))
            assert list(kept) == sorted([comment_id, reply_id])
            await connection.run_sync(REVISIONS.upgrade, "head")
            assert await connection.run_sync(REVISIONS.differences) == []
    finally:
        await database.close()


async def test_item_days_come_and_go_with_their_revision(
    settings_factory: SettingsFactory,
) -> None:
    """catalogue_0031: items kept, with no days counted; an item's days go with it (the key
    cascades); the downgrade drops the days, the items kept."""
    settings = settings_factory(modules=("catalogue",))
    database = Database(settings.effective_database_url)
    item_id = uuid.uuid4()
    values = {"content_type": "video/mp4", "video": "h264", "audio": "aac"}
    now = datetime.datetime.now(datetime.UTC)
    day = {"item_id": item_id, "day": now.date(), "views": 2, "watch_seconds": 12.5}
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.upgrade, "catalogue_0030")
            await connection.execute(OLD_ITEM, {"id": item_id, "now": now, **values})
            await connection.run_sync(REVISIONS.upgrade, "catalogue_0031")
            assert list(await connection.scalars(select(ItemDayRow.item_id))) == []
            await connection.execute(insert(ItemDayRow).values(**day))
            counted = select(ItemDayRow.day, ItemDayRow.views, ItemDayRow.watch_seconds)
            assert (await connection.execute(counted)).all() == [(now.date(), 2, 12.5)]
            await connection.execute(delete(MediaItemRow))  # its days go with it
            assert list(await connection.scalars(select(ItemDayRow.item_id))) == []
            await connection.execute(OLD_ITEM, {"id": item_id, "now": now, **values})
            await connection.execute(insert(ItemDayRow).values(**day))
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.downgrade, "catalogue_0030")
            tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
            assert "catalogue_item_days" not in tables
            assert set(await connection.scalars(select(MediaItemRow.id))) == {item_id}
            await connection.run_sync(REVISIONS.upgrade, "head")
            assert await connection.run_sync(REVISIONS.differences) == []
    finally:
        await database.close()


async def test_share_links_keep_why_they_stopped_with_their_revision(
    settings_factory: SettingsFactory,
) -> None:
    """catalogue_0032: links kept, none with a reason (an admin stopped those stopped); a
    link stopped as its maker lost admin keeps why; the downgrade drops the reason in place,
    the links kept."""
    settings = settings_factory(modules=("catalogue",))
    database = Database(settings.effective_database_url)
    item_id, link_id = uuid.uuid4(), uuid.uuid4()
    values = {"content_type": "video/mp4", "video": "h264", "audio": "aac"}
    now = datetime.datetime.now(datetime.UTC)
    link = {
        "id": link_id,
        "item_id": item_id,
        "secret": "s" * 43,
        "created_by": uuid.uuid4(),
        "created_at": now,
        "revoked_at": now,
    }
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.upgrade, "catalogue_0031")
            await connection.execute(OLD_ITEM, {"id": item_id, "now": now, **values})
            await connection.execute(insert(ShareLinkRow).values(**link))
            await connection.run_sync(REVISIONS.upgrade, "catalogue_0032")
            reason = select(ShareLinkRow.id, ShareLinkRow.revoked_reason)
            assert (await connection.execute(reason)).all() == [(link_id, None)]
            stopped = update(ShareLinkRow).values(revoked_reason="maker_no_longer_admin")
            await connection.execute(stopped)
            assert (await connection.execute(reason)).all() == [(link_id, "maker_no_longer_admin")]
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.downgrade, "catalogue_0031")
            columns = await connection.run_sync(
                lambda sync: {c["name"] for c in inspect(sync).get_columns("catalogue_shares")}
            )
            assert "revoked_reason" not in columns
            assert list(await connection.scalars(select(ShareLinkRow.id))) == [link_id]
            await connection.run_sync(REVISIONS.upgrade, "head")
            assert await connection.run_sync(REVISIONS.differences) == []
    finally:
        await database.close()


async def test_comments_badge_comes_and_goes_with_its_revision(
    settings_factory: SettingsFactory,
) -> None:
    """catalogue_0033: comments kept, none of them an admin's (who wrote them as one is
    not known), their replies and reports kept (no table rebuilt); the downgrade keeps the
    comments."""
    settings = settings_factory(modules=("catalogue",))
    database = Database(settings.effective_database_url)
    item_id, comment_id, reply_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    values = {"content_type": "video/mp4", "video": "h264", "audio": "aac"}
    now = datetime.datetime.now(datetime.UTC)
    comment = {"item_id": item_id, "user_id": uuid.uuid4(), "body": "hi", "created_at": now}
    report = {"comment_id": comment_id, "user_id": uuid.uuid4(), "created_at": now}
    badges = select(CommentRow.id, CommentRow.by_admin).order_by(CommentRow.id)
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.upgrade, "catalogue_0032")
            await connection.execute(OLD_ITEM, {"id": item_id, "now": now, **values})
            await connection.execute(insert(CommentRow).values(id=comment_id, **comment))
            await connection.execute(
                insert(CommentRow).values(id=reply_id, parent_id=comment_id, **comment)
            )
            await connection.execute(insert(CommentReportRow).values(**report))
            await connection.run_sync(REVISIONS.upgrade, "catalogue_0033")
            kept = sorted([(comment_id, False), (reply_id, False)])
            assert (await connection.execute(badges)).all() == kept
            assert len(list(await connection.scalars(select(CommentReportRow.user_id)))) == 1
            await connection.execute(
                update(CommentRow).where(CommentRow.id == reply_id).values(by_admin=True)
            )
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.downgrade, "catalogue_0032")
            ids = await connection.scalars(select(CommentRow.id).order_by(CommentRow.id))
            assert list(ids) == sorted([comment_id, reply_id])
            await connection.run_sync(REVISIONS.upgrade, "head")
            assert await connection.run_sync(REVISIONS.differences) == []
    finally:
        await database.close()


async def test_share_link_plays_come_and_go_with_their_revision(
    settings_factory: SettingsFactory,
) -> None:
    """catalogue_0034: links kept, none played (plays were never counted before); the
    downgrade drops the count and the tickets in place, the links kept."""
    settings = settings_factory(modules=("catalogue",))
    database = Database(settings.effective_database_url)
    item_id, link_id = uuid.uuid4(), uuid.uuid4()
    values = {"content_type": "video/mp4", "video": "h264", "audio": "aac"}
    now = datetime.datetime.now(datetime.UTC)
    link = {"id": link_id, "item_id": item_id, "secret": "s" * 43, "created_by": uuid.uuid4()}
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.upgrade, "catalogue_0033")
            await connection.execute(OLD_ITEM, {"id": item_id, "now": now, **values})
            await connection.execute(insert(ShareLinkRow).values(created_at=now, **link))
            await connection.run_sync(REVISIONS.upgrade, "catalogue_0034")
            played = select(ShareLinkRow.id, ShareLinkRow.plays)
            assert (await connection.execute(played)).all() == [(link_id, 0)]
            ticket = {"id": uuid.uuid4(), "share_id": link_id, "opened_at": now}
            await connection.execute(insert(PlayTicketRow).values(**ticket))
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.downgrade, "catalogue_0033")
            tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
            assert "catalogue_play_tickets" not in tables
            assert list(await connection.scalars(select(ShareLinkRow.id))) == [link_id]
            await connection.run_sync(REVISIONS.upgrade, "head")
            assert await connection.run_sync(REVISIONS.differences) == []
    finally:
        await database.close()
