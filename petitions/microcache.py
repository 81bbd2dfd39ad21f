"""Answers kept for a moment: the count that every partner's widget polls, and the figures of the
petition and cities pages, are read from the database once a second per server process, however
many people ask.

No write path clears anything: an answer simply expires (COUNT_CACHE_SECONDS, 0 turns it off).
A count at most a second old is invisible beside the 30 seconds that browsers and shared caches
may keep it anyway (sharing.py), and the signer who just signed is shown the thanks page, which
reads the count afresh.
"""

from __future__ import annotations

from collections.abc import Callable
from time import monotonic
from typing import Generic, TypeVar

from flask import Flask, current_app

Answer = TypeVar("Answer")

MAX_KEYS = 1000  # a store forgets its expired answers when it holds this many


class RecentAnswers(Generic[Answer]):
    """The latest answer per key, reused until it is ``seconds`` old. Safe across threads: two
    threads that miss at once both compute, and the later one is kept."""

    def __init__(self, seconds: float, max_keys: int = MAX_KEYS):
        self.seconds = seconds
        self.max_keys = max_keys
        self._answers: dict[str, tuple[float, Answer]] = {}

    def get(self, key: str, make: Callable[[], Answer]) -> Answer:
        if self.seconds <= 0:
            return make()
        now = monotonic()
        kept = self._answers.get(key)
        if kept is not None and now - kept[0] < self.seconds:
            return kept[1]
        answer = make()
        if len(self._answers) >= self.max_keys:
            self._forget_before(now - self.seconds)
        self._answers[key] = (now, answer)
        return answer

    def _forget_before(self, moment: float) -> None:
        # Query strings are the reader's to choose: a crawler walking every page of every filter
        # must not grow the store without end, so past the bound the oldest half goes too.
        fresh = {key: kept for key, kept in list(self._answers.items()) if kept[0] >= moment}
        if len(fresh) >= self.max_keys:
            fresh = dict(sorted(fresh.items(), key=lambda item: item[1][0])[len(fresh) // 2 :])
        self._answers = fresh

    def __len__(self) -> int:
        return len(self._answers)


def recent_answers(name: str, app: Flask | None = None) -> RecentAnswers:
    """The app's store of recent answers called ``name``, kept for COUNT_CACHE_SECONDS."""
    app = app or current_app
    stores = app.extensions.setdefault("recent_answers", {})
    if name not in stores:
        stores[name] = RecentAnswers(app.config["COUNT_CACHE_SECONDS"])
    return stores[name]
