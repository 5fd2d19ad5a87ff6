"""A PDF read in a child process under a time, memory and output-size limit: a hostile file costs one child.

The child is forked (cheap: the extraction workers have PDFium loaded), sets RLIMIT_AS and RLIMIT_CPU on itself,
runs `extract.pdftext.read_pdf` with its page and character caps and sends the result back through a pipe. The
parent waits up to the wall-clock limit, then kills it. Every way it can end has a status: the reader's own, or
"timeout" (wall clock or CPU), "memory" (over the address-space limit) or "crashed" (another signal or exit).

Forking is only safe from a single-threaded process: a process with other threads (the flow, a test with a
server thread) asks the multiprocessing forkserver (single-threaded, extractor preloaded) for a process that forks
the reader in its stead.
"""

from __future__ import annotations

import faulthandler
import os
import pickle
import resource
import select
import signal
import threading
import time
from dataclasses import dataclass
from multiprocessing import get_context

from extract.pdftext import MAX_CHARS, PdfText, read_pdf


@dataclass(frozen=True, slots=True)
class PdfLimits:
    """What one PDF may cost: wall-clock and CPU seconds, memory above the reader's start, text and pages."""

    seconds: float = 30.0
    memory_mb: int = 512
    max_chars: int = MAX_CHARS
    max_pages: int = 300


DEFAULT_LIMITS = PdfLimits()


@dataclass
class PdfReading:
    """A PDF being read by a child process; `result()` waits for it within the limits."""

    pid: int
    pipe: int
    deadline: float
    limits: PdfLimits
    base_mb: int = 0  # the parent's resident size when it forked: the child starts with it
    done: PdfText | None = None

    def cancel(self) -> None:
        """Stop the child if it still runs (its result is not wanted); a no-op once `result()` returned."""
        if self.done is None and self.pid:
            os.kill(self.pid, signal.SIGKILL)
            os.close(self.pipe)
            os.waitpid(self.pid, 0)
            self.done = PdfText("", 0, "crashed", "not wanted: stopped")

    def result(self) -> PdfText:
        """The reader's PdfText, or a timeout, memory or crashed status; the child is always reaped."""
        if self.done is None:
            self.done = _collect(self)
        return self.done


def start_reading(data: bytes, limits: PdfLimits = DEFAULT_LIMITS) -> PdfReading:
    """Start reading `data` in a child process and return at once (so the caller works while it reads)."""
    if threading.active_count() > 1:
        # Not safe to fork here: read it now through the forkserver, which forks the reader for us.
        ctx = get_context("forkserver")
        with ctx.Pool(1) as pool:
            done = pool.apply(read_bounded, (data, limits))
        return PdfReading(pid=0, pipe=-1, deadline=0.0, limits=limits, done=done)
    readable, writable = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(readable)
        _child(data, limits, writable)
    os.close(writable)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    return PdfReading(pid, readable, time.monotonic() + limits.seconds, limits, base_mb=base)


def read_bounded(data: bytes, limits: PdfLimits = DEFAULT_LIMITS) -> PdfText:
    """`read_pdf` in a child process under `limits`; never raises, never outlives the limits by much."""
    return start_reading(data, limits).result()


def _vm_bytes() -> int:
    """This process's address-space size now (VmSize), the base the memory limit is added to."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _child(data: bytes, limits: PdfLimits, pipe: int) -> None:
    code = 0
    # PDFium aborts the process when an allocation fails: at the memory limit that is expected, not a crash to
    # dump a traceback for (pytest and `python -X faulthandler` switch the handler on).
    faulthandler.disable()
    try:
        # The limit is on top of what the process already maps (interpreter, lxml, PDFium): the file's own cost.
        limit = _vm_bytes() + limits.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        cpu = max(1, int(limits.seconds + 0.999))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        try:
            got = read_pdf(data, max_pages=limits.max_pages, max_chars=limits.max_chars)
        except MemoryError:
            got = PdfText("", 0, "memory", f"the reader needed more than {limits.memory_mb} MB; stopped")
        except RecursionError:
            got = PdfText("", 0, "broken", "nested too deeply to read (a recursion limit was reached)")
        payload = pickle.dumps(got, protocol=pickle.HIGHEST_PROTOCOL)
        view = memoryview(payload)
        while view:
            view = view[os.write(pipe, view) :]
    except BaseException:
        code = 70  # anything else: the parent reports "crashed" with this code
    finally:
        os._exit(code)


def _collect(reading: PdfReading) -> PdfText:
    chunks: list[bytes] = []
    timed_out = False
    try:
        while True:
            left = reading.deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            ready, _, _ = select.select([reading.pipe], [], [], left)
            if not ready:
                continue
            chunk = os.read(reading.pipe, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(reading.pipe)
        if timed_out:
            os.kill(reading.pid, signal.SIGKILL)
        _, status, usage = os.wait4(reading.pid, 0)
    limits = reading.limits
    # The child's peak counts the pages it shares with the parent: the file's own cost is what it added.
    peak_mb = max(0, usage.ru_maxrss // 1024 - reading.base_mb)
    if timed_out:
        return PdfText("", 0, "timeout", f"still reading after {limits.seconds:g} s (peak +{peak_mb} MB); stopped")
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig in (signal.SIGXCPU, signal.SIGKILL) and usage.ru_utime + usage.ru_stime >= limits.seconds:
            return PdfText("", 0, "timeout", f"over {limits.seconds:g} s of CPU (peak +{peak_mb} MB); stopped")
        # PDFium ends the process on a failed allocation: near the memory limit that is what a signal means.
        if peak_mb >= limits.memory_mb // 2:
            return PdfText("", 0, "memory", f"over the {limits.memory_mb} MB limit (peak +{peak_mb} MB); stopped")
        return PdfText("", 0, "crashed", f"the reader died of {signal.Signals(sig).name} (peak +{peak_mb} MB)")
    if chunks:
        try:
            got: PdfText = pickle.loads(b"".join(chunks))
            return got
        except Exception:  # a child killed while writing: the result is cut short
            pass
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1
    return PdfText("", 0, "crashed", f"the reader ended without a result (exit code {code}, peak {peak_mb} MB)")
