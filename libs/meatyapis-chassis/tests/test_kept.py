"""The table of kept answers stops growing at its limit and still hands every answer back."""

from __future__ import annotations

from meatyapis_chassis.kept import KeptAnswers


def test_answers_past_the_limit_are_handed_back_not_kept() -> None:
    table: KeptAnswers[str, int] = KeptAnswers(limit=2)
    assert [table.keep(key, len(key)) for key in ("a", "bb", "ccc")] == [1, 2, 3]
    assert table == {"a": 1, "bb": 2}
    assert table.get("ccc") is None
    table.limit = 3
    assert table.keep("ccc", 3) == 3
    assert len(table) == 3
