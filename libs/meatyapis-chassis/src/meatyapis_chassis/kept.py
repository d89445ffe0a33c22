"""Answers the hot paths work out once and keep, in a table that stops growing at its limit.

Each request would otherwise repeat lookups whose answer never changes for the same key (a
route's template, a metric's labelled child, a function's sync wrapper). Keys can come from
callers (paths, label values), so a table keeps at most `limit` answers; past that, an answer is
handed back without being kept and the next request works it out again.
"""

from __future__ import annotations

from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")

DEFAULT_LIMIT = 4096


class KeptAnswers(dict[K, V]):
    """A dict for `answer = table.get(key)`, then on a miss `table.keep(key, worked_out)`."""

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        super().__init__()
        self.limit = limit

    def keep(self, key: K, answer: V) -> V:
        if len(self) < self.limit:
            self[key] = answer
        return answer
