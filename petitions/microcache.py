"""Answers kept for a moment: the count that every partner's widget polls is read from the
database once a second per server process, however many widgets ask.

No write path clears anything: an answer simply expires (COUNT_CACHE_SECONDS, 0 turns it off).
A count at most a second old is invisible beside the 30 seconds that browsers and shared caches
may keep it anyway (sharing.py).
"""

from __future__ import annotations

from collections.abc import Callable
from time import monotonic
from typing import Generic, TypeVar

Answer = TypeVar("Answer")


class RecentAnswers(Generic[Answer]):
    """The latest answer per key, reused until it is ``seconds`` old. Safe across threads: two
    threads that miss at once both compute, and the later one is kept."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self._answers: dict[str, tuple[float, Answer]] = {}

    def get(self, key: str, make: Callable[[], Answer]) -> Answer:
        if self.seconds <= 0:
            return make()
        now = monotonic()
        kept = self._answers.get(key)
        if kept is not None and now - kept[0] < self.seconds:
            return kept[1]
        answer = make()
        self._answers[key] = (now, answer)
        return answer
