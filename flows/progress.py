"""What a night is doing, source by source, for whoever listens (the CLI shows it as it goes)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

# crawling: pages kept so far; extracted/storing/stored: publications; replaying: archived runs read (reextract);
# dedupe: over the whole digest.
Step = Literal["crawling", "replaying", "extracting", "extracted", "storing", "stored", "failed", "dedupe"]


@dataclass(frozen=True)
class Event:
    """One step of one source (`source` is "*" for steps over the whole digest)."""

    source: str
    step: Step
    count: int | None = None
    note: str = ""


Listener = Callable[[Event], None]
_listeners: list[Listener] = []
_guard = threading.Lock()


@contextmanager
def listening(listener: Listener) -> Iterator[None]:
    """Send every event of the flows run in this block to `listener` (tasks run in threads: it must be quick)."""
    with _guard:
        _listeners.append(listener)
    try:
        yield
    finally:
        with _guard:
            _listeners.remove(listener)


def report(source: str, step: Step, count: int | None = None, note: str = "") -> None:
    """Tell the listeners; a listener that fails never stops the night."""
    event = Event(source, step, count, note)
    with _guard:
        listeners = list(_listeners)
    for listener in listeners:
        try:
            listener(event)
        except Exception:  # progress is a courtesy: the work goes on without it
            continue
