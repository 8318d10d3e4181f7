"""Memoise look-ups for the length of one bulk operation.

Approving a thousand cases looks up the same rule set and the same code-list rows a thousand
times. Inside `with memoized():` such a look-up (`cached(key, fn)`) runs once; outside it, every
call runs `fn` as before, so nothing is ever cached across requests or transactions.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")
_store: ContextVar[dict[Hashable, Any] | None] = ContextVar("doanso_memo", default=None)


@contextmanager
def memoized() -> Iterator[None]:
    if _store.get() is not None:  # already inside one: share it
        yield
        return
    token = _store.set({})
    try:
        yield
    finally:
        _store.reset(token)


def cached(key: Hashable, fn: Callable[[], T]) -> T:
    store = _store.get()
    if store is None:
        return fn()
    if key not in store:
        store[key] = fn()
    return store[key]
