"""The verified-token cache: TTL, never past the token's expiry, bounded LRU, thread safety."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from meatyapis_flask.identity.token_cache import TokenCache


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def claims(exp: float, sub: str = "alice") -> dict[str, object]:
    return {"sub": sub, "exp": exp}


def test_an_entry_lives_the_ttl() -> None:
    clock = Clock()
    cache = TokenCache(8, ttl=10, clock=clock)
    cache.put("t", claims(clock.now + 3600))
    clock.now += 9.9
    assert cache.get("t") == claims(clock.now - 9.9 + 3600)
    clock.now += 0.1
    assert cache.get("t") is None
    assert len(cache) == 0


def test_an_entry_never_outlives_the_token() -> None:
    clock = Clock()
    cache = TokenCache(8, ttl=30, clock=clock)
    cache.put("t", claims(clock.now + 2))
    clock.now += 1.99
    assert cache.get("t") is not None
    clock.now += 0.01
    assert cache.get("t") is None


@pytest.mark.parametrize("exp", [None, "soon", True, 1_699_999_999, 1_700_000_000])
def test_claims_without_a_future_exp_are_not_kept(exp: object) -> None:
    cache = TokenCache(8, ttl=30, clock=Clock())
    cache.put("t", {"sub": "alice", "exp": exp})
    assert cache.get("t") is None


def test_the_least_recently_used_entry_goes_first() -> None:
    clock = Clock()
    cache = TokenCache(3, ttl=30, clock=clock)
    for token in "abc":
        cache.put(token, claims(clock.now + 60, token))
    assert cache.get("a") is not None  # a is now the most recently used
    cache.put("d", claims(clock.now + 60, "d"))
    assert len(cache) == 3
    assert cache.get("b") is None
    assert [cache.get(t)["sub"] for t in "acd"] == ["a", "c", "d"]  # type: ignore[index]


def test_zero_size_or_ttl_disables_it() -> None:
    for cache in (TokenCache(0, 30, clock=Clock()), TokenCache(8, 0, clock=Clock())):
        cache.put("t", claims(2e9))
        assert cache.get("t") is None
        assert not cache.enabled
    with pytest.raises(ValueError, match="≥ 0"):
        TokenCache(-1, 1)


def test_tokens_are_not_kept_in_clear() -> None:
    cache = TokenCache(8, ttl=30, clock=Clock())
    cache.put("secret-token", claims(2e9))
    assert all(b"secret-token" not in key for key in cache._entries)


def test_concurrent_use_stays_within_its_bound() -> None:
    clock = Clock()
    cache = TokenCache(64, ttl=30, clock=clock)

    def churn(worker: int) -> None:
        for i in range(500):
            token = f"{worker}-{i}"
            cache.put(token, claims(clock.now + 60, token))
            found = cache.get(token)
            assert found is None or found["sub"] == token

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(churn, range(8)))
    assert len(cache) == 64
