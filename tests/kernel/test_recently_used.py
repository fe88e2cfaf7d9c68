"""The bounded map that forgets its least recently used entry first."""

from __future__ import annotations

from streamstack.kernel.recently_used import RecentlyUsed


def filled(*keys: str, maximum: int = 3) -> RecentlyUsed[str, int]:
    """A map of ``maximum`` entries at most, ``keys`` put in turn (each worth its place)."""
    recent: RecentlyUsed[str, int] = RecentlyUsed(maximum)
    for place, key in enumerate(keys):
        recent.put(key, place)
    return recent


def test_it_keeps_at_most_its_maximum_forgetting_the_oldest_first() -> None:
    recent = filled("a", "b", "c", "d", "e")

    assert len(recent) == 3
    assert list(recent.items()) == [("c", 2), ("d", 3), ("e", 4)]


def test_a_recall_keeps_an_entry_longer() -> None:
    recent = filled("a", "b", "c")

    assert recent.recall("a") == 0
    recent.put("d", 3)

    assert list(recent) == ["c", "a", "d"]


def test_putting_a_key_again_replaces_its_value_and_keeps_it_longer() -> None:
    recent = filled("a", "b", "c")

    recent.put("a", 10)
    recent.put("d", 3)

    assert list(recent.items()) == [("c", 2), ("a", 10), ("d", 3)]


def test_reading_and_updating_in_place_do_not_count_as_a_use() -> None:
    recent = filled("a", "b", "c")

    assert recent.get("a") == 0 and recent["a"] == 0 and "a" in recent
    recent["a"] = 10
    recent.put("d", 3)

    assert "a" not in recent
    assert list(recent) == ["b", "c", "d"]


def test_an_absent_key_is_recalled_as_none_and_changes_nothing() -> None:
    recent = filled("a", "b")

    assert recent.recall("z") is None
    assert list(recent) == ["a", "b"]


def test_a_popped_entry_is_gone_and_frees_its_place() -> None:
    recent = filled("a", "b", "c")

    assert recent.pop("b") == 1
    recent.put("d", 3)

    assert "b" not in recent
    assert list(recent) == ["a", "c", "d"]
