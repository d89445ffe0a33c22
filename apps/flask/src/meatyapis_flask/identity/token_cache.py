"""A bounded, thread-safe LRU cache of verified tokens' claims, each kept a short bounded time.

Keys are SHA-256 digests of the tokens, so the process memory never holds a token as a key. An
entry lives `ttl` seconds or until the token's own `exp`, whichever comes first, and is never
returned after that. Rejections (401) are not cached: a forged or expired token costs one call
to the identity service each time, and a token is never refused from a stale cache.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

Claims = Mapping[str, Any]


def _key(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class TokenCache:
    def __init__(
        self, max_entries: int, ttl: float, *, clock: Callable[[], float] = time.time
    ) -> None:
        if max_entries < 0 or ttl < 0:
            raise ValueError("max_entries and ttl must be ≥ 0")
        self.max_entries = max_entries
        self.ttl = ttl
        self._clock = clock  # wall clock: `exp` is a Unix time
        self._lock = threading.Lock()
        self._entries: OrderedDict[bytes, tuple[float, Claims]] = OrderedDict()

    @property
    def enabled(self) -> bool:
        return self.max_entries > 0 and self.ttl > 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def get(self, token: str) -> Claims | None:
        if not self.enabled:
            return None
        key = _key(token)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires, claims = entry
            if self._clock() >= expires:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return claims

    def put(self, token: str, claims: Claims) -> None:
        """Keep `claims` for min(ttl, exp - now); a claim set without a future `exp` is not kept."""
        if not self.enabled:
            return
        exp = claims.get("exp")
        if not isinstance(exp, int | float) or isinstance(exp, bool):
            return
        now = self._clock()
        expires = min(now + self.ttl, float(exp))
        if expires <= now:
            return
        key = _key(token)
        with self._lock:
            self._entries[key] = (expires, claims)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
