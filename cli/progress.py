"""Per-source progress of long work (pages kept, extracted, stored): a Rich display on a terminal, lines otherwise."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from flows.progress import Event, Listener

PLAIN_EVERY_S = 10.0  # a plain log gets a running count at most this often per source (step changes always)


@dataclass
class _Source:
    step: str = "waiting"
    kept: int | None = None  # pages the crawl kept so far (unchanged and refused pages are not counted)
    runs: int | None = None
    extracted: int | None = None
    stored: int | None = None
    note: str = ""
    printed_at: float = 0.0

    def line(self) -> str:
        if self.step == "dedupe":
            return "dedupe and search index over the whole digest"
        parts = []
        if self.kept is not None:
            parts.append(f"{self.kept} pages kept")
        if self.runs is not None:
            parts.append(f"run {self.runs}")
        if self.extracted is not None:
            parts.append(f"{self.extracted} extracted")
        if self.stored is not None:
            parts.append(f"{self.stored} stored")
        text = f"{self.step}: {', '.join(parts)}" if parts else self.step
        return f"{text} ({self.note})" if self.note else text


def _apply(state: _Source, event: Event) -> bool:
    """Fold an event into a source's state; True when its step changed."""
    changed = event.step != state.step
    state.step = event.step
    if event.step == "crawling" and event.count is not None:
        state.kept = event.count
    elif event.step == "replaying":
        state.runs = event.count
        # a new archived run: its counts start again
        state.extracted = state.stored = None
        changed = True
    elif event.step == "extracted":
        state.extracted = event.count
    elif event.step == "stored":
        state.stored = event.count
    elif event.step == "failed":
        state.note = event.note[:120]
    return changed


@contextmanager
def show_progress(console: Console, label: str = "nightly") -> Iterator[Listener]:
    """A listener for flows.progress that shows each source's step and counts while the block runs."""
    states: dict[str, _Source] = {}
    guard = threading.Lock()
    if console.is_terminal:
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}", markup=False),
            TextColumn("{task.fields[line]}", markup=False),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        ) as progress:
            tasks: dict[str, TaskID] = {}

            def live(event: Event) -> None:
                with guard:
                    state = states.setdefault(event.source, _Source())
                    _apply(state, event)
                    if event.source not in tasks:
                        name = "all sources" if event.source == "*" else event.source
                        tasks[event.source] = progress.add_task(name, total=None, line="")
                    done = event.step in ("stored", "failed")
                    progress.update(tasks[event.source], line=state.line(), total=1 if done else None,
                                    completed=1 if done else 0)  # fmt: skip

            yield live
        return

    def plain(event: Event) -> None:
        with guard:
            state = states.setdefault(event.source, _Source())
            changed = _apply(state, event)
            now = time.monotonic()
            if not changed and now - state.printed_at < PLAIN_EVERY_S:
                return
            state.printed_at = now
            name = "all sources" if event.source == "*" else event.source
            console.print(f"{label}: {name}: {state.line()}", markup=False, highlight=False, soft_wrap=True)

    yield plain
