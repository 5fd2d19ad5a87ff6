"""PDFs read in a child process under a time, memory and output-size limit: a hostile file costs the child only.

Each extracting process forks one reader child (cheap: the workers have PDFium loaded) and hands it PDFs one at a
time through a pipe. The reader sets RLIMIT_AS (memory above what it started with) once and, before each file,
RLIMIT_CPU to what it has used plus the file's allowance; it runs `extract.pdftext.read_pdf` with its page and
character caps and sends the result back. The parent waits up to the wall-clock limit, then kills it; a reader
that dies or is killed is replaced on the next file, and one that read `_RECYCLE` files is replaced too, so what
PDFium keeps between files cannot add up. Every way a file can end has a status: the reader's own, or "timeout"
(wall clock or CPU), "memory" (over the address-space limit) or "crashed" (another signal, no result).

One reader, reused, instead of a fork per file: on this 2-core machine a fork and reap per PDF cost more than the
~3 ms of CPU PDFium needs for a typical report (bench/README.md).

Forking is only safe from a single-threaded process: a process with other threads (the flow, a test with a
server thread) asks the multiprocessing forkserver (single-threaded, extractor preloaded) for a worker that
forks the reader in its stead.
"""

from __future__ import annotations

import atexit
import ctypes
import faulthandler
import os
import pickle
import resource
import select
import signal
import struct
import threading
import time
from contextlib import suppress
from dataclasses import dataclass
from multiprocessing import get_context
from multiprocessing.util import Finalize

from extract.pdftext import MAX_CHARS, PdfText, read_pdf


@dataclass(frozen=True, slots=True)
class PdfLimits:
    """What one PDF may cost: wall-clock and CPU seconds, memory above the reader's start, text and pages."""

    seconds: float = 30.0
    memory_mb: int = 512
    max_chars: int = MAX_CHARS
    max_pages: int = 300


DEFAULT_LIMITS = PdfLimits()
# Files a reader serves before it is replaced.
_RECYCLE = 200
_PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent dies
_LENGTH = struct.Struct("<Q")


class _Reader:
    """The reader child of this process and the two ends of its pipes."""

    def __init__(self, limits: PdfLimits) -> None:
        self.limits = limits
        to_child, self.send = os.pipe()
        self.receive, from_child = os.pipe()
        # The child's peak counts the pages it shares with this process: the files' own cost is what it added.
        self.base_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        parent = os.getpid()
        self.pid = os.fork()
        if self.pid == 0:  # the child: never returns
            _die_with_parent(parent)
            os.close(self.send)
            os.close(self.receive)
            _serve(limits, to_child, from_child)
        os.close(to_child)
        os.close(from_child)
        self.served = 0

    def stop(self, kill: bool = True) -> tuple[int, resource.struct_rusage]:
        """End the child (killed, or by closing its input) and reap it: its wait status and resource usage."""
        if kill:
            os.kill(self.pid, signal.SIGKILL)
        os.close(self.send)
        os.close(self.receive)
        _, status, usage = os.wait4(self.pid, 0)
        return status, usage


_READER: _Reader | None = None


_REAPED_AT_EXIT = False


def _reader(limits: PdfLimits) -> _Reader:
    global _READER, _REAPED_AT_EXIT
    if _READER is not None and (_READER.limits != limits or _READER.served >= _RECYCLE):
        _READER.stop(kill=False)
        _READER = None
    if _READER is None:
        _READER = _Reader(limits)
        if not _REAPED_AT_EXIT:
            # The reader is reaped when this process ends (a pool worker runs multiprocessing's finalizers, not
            # atexit): left alone it would be an orphan nobody waits for.
            _REAPED_AT_EXIT = True
            atexit.register(close_reader)
            Finalize(None, close_reader, exitpriority=0)
    return _READER


@dataclass
class PdfReading:
    """A PDF being read by the reader child; `result()` waits for it within the limits."""

    reader: _Reader | None
    deadline: float
    done: PdfText | None = None

    @property
    def pid(self) -> int:
        """The reader child's process id (0 when the file was read through the forkserver)."""
        return self.reader.pid if self.reader else 0

    def cancel(self) -> None:
        """Stop the reader if it still works on this file (its result is not wanted); a no-op after `result()`."""
        global _READER
        if self.done is None and self.reader is not None:
            self.reader.stop()
            if _READER is self.reader:
                _READER = None
            self.done = PdfText("", 0, "crashed", "not wanted: stopped")

    def result(self) -> PdfText:
        """The reader's PdfText, or a timeout, memory or crashed status; a reader that failed is reaped."""
        if self.done is None:
            assert self.reader is not None
            self.done = _collect(self.reader, self.deadline)
        return self.done


def start_reading(data: bytes, limits: PdfLimits = DEFAULT_LIMITS) -> PdfReading:
    """Hand `data` to the reader child and return at once (so the caller works while it reads)."""
    if not _forkable():
        # Not safe to fork here: read it now in a forkserver worker, which forks the reader for us.
        with get_context("forkserver").Pool(1) as pool:
            done = pool.apply(read_bounded, (data, limits))
        return PdfReading(reader=None, deadline=0.0, done=done)
    reader = _reader(limits)
    try:
        _write_all(reader.send, _LENGTH.pack(len(data)) + data)
    except BrokenPipeError:  # the reader died between files: a fresh one takes it
        _drop(reader)
        reader = _reader(limits)
        _write_all(reader.send, _LENGTH.pack(len(data)) + data)
    reader.served += 1
    return PdfReading(reader=reader, deadline=time.monotonic() + limits.seconds)


# A pool worker's lifeline (extract.stage._die_with) holds no lock while it waits on a pipe, so a fork beside it
# is safe. Counting it made every PDF of a pooled run go through a fresh forkserver pool, a process start per
# file (bench/README.md, issue 20). The stage names its thread with this constant.
LIFELINE_THREAD = "pool-lifeline"
_FORK_SAFE_THREADS = frozenset({LIFELINE_THREAD})


def _forkable() -> bool:
    """True when this process has no thread but the main one and those known to be safe to fork beside."""
    main = threading.main_thread()
    return all(t is main or t.name in _FORK_SAFE_THREADS for t in threading.enumerate())


def read_bounded(data: bytes, limits: PdfLimits = DEFAULT_LIMITS) -> PdfText:
    """`read_pdf` in a child process under `limits`; never raises, never outlives the limits by much."""
    return start_reading(data, limits).result()


def close_reader() -> None:
    """Stop this process's reader child, if it has one, and reap it (the next file starts a new one)."""
    if _READER is not None:
        _drop(_READER, kill=False)


def _drop(reader: _Reader, kill: bool = True) -> tuple[int, resource.struct_rusage]:
    global _READER
    if _READER is reader:
        _READER = None
    return reader.stop(kill)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _read_exactly(fd: int, size: int, deadline: float | None) -> bytes | None:
    """`size` bytes from `fd`, or None at end of file; raises TimeoutError at the deadline (None: no deadline)."""
    chunks = []
    while size:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _vm_bytes() -> int:
    """This process's address-space size now (VmSize), the base the memory limit is added to."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _die_with_parent(parent: int) -> None:
    """Linux: the kernel kills this reader when its parent dies, so a killed worker leaves no reader behind."""
    with suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)


def _serve(limits: PdfLimits, requests: int, replies: int) -> None:
    """The reader child's loop: a file in, its PdfText out, until its input is closed."""
    code = 0
    # PDFium aborts the process when an allocation fails: at the memory limit that is expected, not a crash to
    # dump a traceback for (pytest and `python -X faulthandler` switch the handler on).
    faulthandler.disable()
    try:
        # The limit is on top of what the process already maps (interpreter, lxml, PDFium): the files' own cost.
        limit = _vm_bytes() + limits.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        while (head := _read_exactly(requests, _LENGTH.size, None)) is not None:
            data = _read_exactly(requests, _LENGTH.unpack(head)[0], None) or b""
            usage = resource.getrusage(resource.RUSAGE_SELF)
            allowed = int(usage.ru_utime + usage.ru_stime + limits.seconds) + 1
            resource.setrlimit(resource.RLIMIT_CPU, (allowed, resource.RLIM_INFINITY))
            try:
                got = read_pdf(data, max_pages=limits.max_pages, max_chars=limits.max_chars)
            except MemoryError:
                got = PdfText("", 0, "memory", f"the reader needed more than {limits.memory_mb} MB; stopped")
            except RecursionError:
                got = PdfText("", 0, "broken", "nested too deeply to read (a recursion limit was reached)")
            payload = pickle.dumps(got, protocol=pickle.HIGHEST_PROTOCOL)
            _write_all(replies, _LENGTH.pack(len(payload)) + payload)
    except BaseException:
        code = 70  # anything else: the parent reports "crashed" with this code
    finally:
        os._exit(code)


def _collect(reader: _Reader, deadline: float) -> PdfText:
    limits = reader.limits
    try:
        head = _read_exactly(reader.receive, _LENGTH.size, deadline)
        payload = _read_exactly(reader.receive, _LENGTH.unpack(head)[0], deadline) if head else None
    except TimeoutError:
        _, usage = _drop(reader)
        peak = _peak_mb(reader, usage)
        return PdfText("", 0, "timeout", f"still reading after {limits.seconds:g} s (peak +{peak} MB); stopped")
    if payload is not None:
        try:
            got: PdfText = pickle.loads(payload)
            return got
        except Exception:  # a reply cut short: the reader died writing it, reported below
            pass
    status, usage = _drop(reader, kill=False)
    peak = _peak_mb(reader, usage)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGXCPU:
            return PdfText("", 0, "timeout", f"over {limits.seconds:g} s of CPU (peak +{peak} MB); stopped")
        # PDFium ends the process on a failed allocation: near the memory limit that is what a signal means.
        if peak >= limits.memory_mb // 2:
            return PdfText("", 0, "memory", f"over the {limits.memory_mb} MB limit (peak +{peak} MB); stopped")
        return PdfText("", 0, "crashed", f"the reader died of {signal.Signals(sig).name} (peak +{peak} MB)")
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1
    return PdfText("", 0, "crashed", f"the reader ended without a result (exit code {code}, peak +{peak} MB)")


def _peak_mb(reader: _Reader, usage: resource.struct_rusage) -> int:
    return max(0, usage.ru_maxrss // 1024 - reader.base_mb)
