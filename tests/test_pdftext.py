"""PDF text extraction: PDFs made here with fpdf2, bad inputs of every kind, and the mirror's real PDFs."""

from __future__ import annotations

import io
import os
import random
import signal
import threading
from collections.abc import Callable
from multiprocessing import get_context
from pathlib import Path
from typing import TypeVar

import pytest
from fpdf import FPDF
from PIL import Image
from pypdf import PdfWriter

from extract.pdf_limits import LIFELINE_THREAD, PdfLimits, read_bounded, start_reading
from extract.pdftext import STATUSES, PdfText, _assemble, read_pdf
from mirrors.kit.site import PublicationTruth
from tests import hostile_pdfs

_T = TypeVar("_T")
MIRROR_FILES = Path(__file__).resolve().parents[1] / "mirrors" / "mpi" / "files"

SENTENCES = [
    "Les demandeurs d’asile arrivés à Dakar en été attendent une décision.",
    "Remittances are a vital lifeline for migrants’ families around the world.",
    "The café near the reception centre opens at seven.",
]


def _pdf() -> FPDF:
    pdf = FPDF()
    # Windows-1252 lets the core fonts show ’ “ ” — and é without shipping a TTF font with the tests.
    pdf.core_fonts_encoding = "windows-1252"
    pdf.set_font("Helvetica", size=11)
    return pdf


def _lines_page(pdf: FPDF, lines: list[str]) -> None:
    pdf.add_page()
    for line in lines:
        pdf.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")


def text_pdf(paragraphs: list[str]) -> bytes:
    pdf = _pdf()
    pdf.add_page()
    for paragraph in paragraphs:
        pdf.multi_cell(0, 6, paragraph, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
    return bytes(pdf.output())


def pages_pdf(count: int) -> bytes:
    pdf = _pdf()
    for number in range(1, count + 1):
        pdf.add_page()
        pdf.multi_cell(0, 6, f"This is the text of page number {number} about labour migration.")
    return bytes(pdf.output())


def test_text_pdf_keeps_sentences_and_accents() -> None:
    got = read_pdf(text_pdf(SENTENCES))
    assert got.status == "ok", got.message
    assert got.pages == 1
    assert got.has_text
    for sentence in SENTENCES:
        assert sentence in got.text


def test_multi_page_count_and_order() -> None:
    got = read_pdf(pages_pdf(7))
    assert (got.status, got.pages) == ("ok", 7)
    positions = [got.text.index(f"page number {n} ") for n in range(1, 8)]
    assert positions == sorted(positions)


def test_page_limit_truncates_but_counts_every_page() -> None:
    got = read_pdf(pages_pdf(5), max_pages=2)
    assert (got.status, got.pages) == ("truncated", 5)
    assert "page number 2 " in got.text
    assert "page number 3 " not in got.text
    assert "first 2" in got.message
    assert got.has_text


FULL = "Migration governance in the region has changed a great deal over the last decade and more, as the"


def test_paragraphs_hyphenation_and_whitespace() -> None:
    page = [
        "Executive Summary",
        FULL,
        "number of people on the move grew and states    tried new ways to manage their migra-",
        "tion systems together with the countries of origin, transit and destination in the wider",
        "region, including low- and middle-income countries with little capacity of their own.",
        "A new chapter",
        "Regional consultative processes brought officials together every year, and the COVID-",
        "19 pandemic moved these meetings online for two years without any loss of participation by",
        "the member states, which kept their commitments to share data on arrivals and returns.",
    ]
    got = read_pdf(_one_page(page))
    assert got.status == "ok"
    paragraphs = got.text.split("\n\n")
    assert paragraphs[0] == "Executive Summary"
    assert paragraphs[1].startswith(FULL + " number of people")
    assert "manage their migration systems" in paragraphs[1]
    assert "states tried" in paragraphs[1]  # runs of spaces collapsed
    assert "low- and middle-income" in paragraphs[1]  # a suspended hyphen is not hyphenation
    assert paragraphs[2] == "A new chapter"
    assert "the COVID-19 pandemic" in paragraphs[3]
    assert len(paragraphs) == 4


def test_compound_written_hyphenated_elsewhere_keeps_its_hyphen() -> None:
    page = [
        "Many of the workers recruited through the scheme came from middle-income countries and few",
        "of them had worked abroad before; those from other middle-",
        "income countries had, and the programme evaluation found that their earnings were higher.",
        "The evaluation also covered the costs of recruitment borne by the workers and employers.",
    ]
    got = read_pdf(_one_page(page))
    assert "other middle-income countries" in got.text


def _one_page(lines: list[str]) -> bytes:
    pdf = _pdf()
    _lines_page(pdf, lines)
    return bytes(pdf.output())


def test_running_footer_and_page_numbers_are_dropped() -> None:
    pdf = _pdf()
    for number, word in enumerate(["first", "second", "third", "fourth"], start=1):
        body = f"Labour migration between the Gulf states and South Asia grew in the {word} year, and the"
        _lines_page(pdf, ["Migration Review 2024", body, body, body, f"{word} costs stay high.", str(number)])
    got = read_pdf(bytes(pdf.output()))
    assert "Migration Review" not in got.text
    assert not any(line.strip().isdigit() for line in got.text.split("\n"))
    assert all(f"{word} costs stay high." in got.text for word in ["first", "second", "third", "fourth"])


def test_image_only_pdf_is_scanned() -> None:
    pdf = _pdf()
    for _ in range(2):
        pdf.add_page()
        pdf.image(Image.new("RGB", (200, 260), (235, 235, 230)), x=10, y=10, w=180)
    got = read_pdf(bytes(pdf.output()))
    assert (got.status, got.pages) == ("scanned", 2)
    assert "OCR" in got.message
    assert not got.has_text


def test_blank_pdf_is_scanned() -> None:
    pdf = _pdf()
    pdf.add_page()
    got = read_pdf(bytes(pdf.output()))
    assert (got.status, got.pages, got.text) == ("scanned", 1, "")
    assert "blank" in got.message


def test_zero_pages() -> None:
    out = io.BytesIO()
    PdfWriter().write(out)
    got = read_pdf(out.getvalue())
    assert (got.status, got.pages) == ("broken", 0)
    assert "no pages" in got.message


def test_truncated_download() -> None:
    data = pages_pdf(3)
    got = read_pdf(data[: len(data) // 2])
    assert got.status == "broken"
    assert "cut short" in got.message


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (random.Random(1).randbytes(4000), "not a PDF"),
        (b"<!DOCTYPE html><html><title>Just a moment...</title></html>", "HTML"),
        (b"%PDF-1.7\n" + random.Random(2).randbytes(4000), "cut short"),
    ],
)
def test_not_a_pdf(data: bytes, words: str) -> None:
    got = read_pdf(data)
    assert (got.status, got.text, got.pages) == ("broken", "", 0)
    assert words in got.message


def test_encrypted_with_a_user_password() -> None:
    pdf = _pdf()
    pdf.set_encryption(owner_password="owner", user_password="secret")
    _lines_page(pdf, SENTENCES)
    got = read_pdf(bytes(pdf.output()))
    assert (got.status, got.text) == ("encrypted", "")
    assert "password" in got.message


def test_encrypted_with_owner_restrictions_only_is_read() -> None:
    pdf = _pdf()
    pdf.set_encryption(owner_password="owner")
    _lines_page(pdf, SENTENCES)
    got = read_pdf(bytes(pdf.output()))
    assert got.status == "ok"
    assert SENTENCES[1] in got.text
    assert "owner" in got.message


def test_too_big() -> None:
    got = read_pdf(pages_pdf(1), max_bytes=100)
    assert (got.status, got.text) == ("too_big", "")


def test_a_page_that_fails_gives_partial() -> None:
    # Page 2 of 3 is a number where its dictionary should be: PDFium cannot load it, the others are read.
    got = read_pdf(hostile_pdfs.damaged_page())
    assert (got.status, got.pages) == ("partial", 3)
    assert "page number 3 " in got.text
    assert "page number 2 " not in got.text
    assert "could not be read: 2" in got.message


def test_damaged_bytes_never_raise() -> None:
    data = bytearray(pages_pdf(3))
    rng = random.Random(7)
    for _ in range(150):
        damaged = bytearray(data)
        for _ in range(rng.randint(1, 20)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        got = read_pdf(bytes(damaged))
        assert isinstance(got, PdfText)
        assert got.status in STATUSES


def test_a_document_without_paragraph_breaks_is_joined_whole() -> None:
    # 300 pages of full lines, long words and no sentence end: one paragraph of 1.7 MB (its time, linear in the
    # pages, is measured by bench/pdf_join.py).
    pages = [["w" * 100 + str(i) for i in range(60)] for _ in range(300)]
    text = _assemble(pages)
    assert "\n" not in text
    # The first and last two lines repeat on every page (digits aside): running headers and footers, dropped.
    assert len(text) == sum(len(line) + 1 for lines in pages for line in lines[2:-2]) - 1


def _mirror_pdfs() -> list[PublicationTruth]:
    from mirrors import SITES

    return [pub for pub in SITES["mpi"].publications() if pub.pdf_path]


def test_mirror_pdfs_contain_their_snippet() -> None:
    pubs = _mirror_pdfs()
    assert pubs
    for pub in pubs:
        assert pub.pdf_path is not None
        assert pub.pdf_text_snippet is not None
        # /sites/default/files/publications/x.pdf is served from mirrors/mpi/files/publications/x.pdf
        path = MIRROR_FILES / pub.pdf_path.removeprefix("/sites/default/files/")
        got = read_pdf(path.read_bytes())
        assert got.status == "ok", (path.name, got.message)
        assert pub.pdf_text_snippet in got.text, path.name


# -- hostile PDFs, read in a child process under limits (extract/pdf_limits.py) ---------------------------------
SMALL = PdfLimits(seconds=20, memory_mb=256, max_chars=200_000)


def test_pages_sharing_one_stream_stop_at_the_output_cap() -> None:
    data = hostile_pdfs.shared_stream()
    assert len(data) < 80_000
    got = read_bounded(data, SMALL)
    assert (got.status, got.pages) == ("truncated", 450)
    assert 0 < len(got.text) <= SMALL.max_chars
    assert "Migration policy and labour mobility" in got.text
    assert "characters" in got.message


def test_a_reader_over_its_time_is_killed() -> None:
    # Without an output cap the shared stream takes minutes (every page re-reads it): the wall clock stops it.
    got = read_bounded(hostile_pdfs.shared_stream(), PdfLimits(seconds=1, max_chars=10**9))
    assert (got.status, got.text) == ("timeout", "")
    assert "1 s" in got.message


def test_a_decompression_bomb_stops_at_the_memory_limit() -> None:
    data = hostile_pdfs.decompression_bomb()
    assert len(data) < 10_000  # a gigabyte of content stream
    got = read_bounded(data, SMALL)
    assert (got.status, got.text) == ("memory", "")
    assert "256 MB" in got.message


def test_a_hundred_thousand_pages_are_counted_and_the_first_read() -> None:
    data = hostile_pdfs.many_pages()
    assert len(data) < 5_000
    got = read_bounded(data, SMALL)
    assert (got.status, got.pages) == ("truncated", 100_000)
    assert "100000" in got.message


@pytest.mark.parametrize(
    ("build", "status"),
    [
        (hostile_pdfs.reference_loops, "partial"),  # the page that loops to its own tree is lost, not the other
        (hostile_pdfs.deep_page_tree, "broken"),
        (hostile_pdfs.deep_nesting, "ok"),  # the nested array is never needed for the text
    ],
)
def test_loops_and_deep_nesting_end_with_a_status(build: Callable[[], bytes], status: str) -> None:
    got = read_bounded(build(), SMALL)
    assert got.status == status, got.message
    assert len(got.text) <= SMALL.max_chars


def _killed_reader() -> PdfText:
    reading = start_reading(hostile_pdfs.shared_stream(), PdfLimits(seconds=60, max_chars=10**9))
    assert reading.pid > 0  # forked here: this worker has no other thread
    os.kill(reading.pid, signal.SIGSEGV)  # as a bug in the C library would
    return reading.result()


def _cancelled_reader() -> bool:
    reading = start_reading(hostile_pdfs.shared_stream(), PdfLimits(seconds=60, max_chars=10**9))
    assert reading.pid > 0
    reading.cancel()
    try:
        os.waitpid(reading.pid, os.WNOHANG)
    except ChildProcessError:
        return True  # killed and waited for: no zombie left behind
    return False


def _in_single_threaded_worker(fn: Callable[[], _T]) -> _T:
    """Run `fn` in a fresh worker process (this one may run server threads, where the reader is not forked)."""
    with get_context("forkserver").Pool(1) as pool:
        result: _T = pool.apply(fn)
        return result


def test_a_reader_that_dies_is_reported_crashed() -> None:
    got = _in_single_threaded_worker(_killed_reader)
    assert (got.status, got.text) == ("crashed", "")
    assert "SIGSEGV" in got.message


def test_a_cancelled_reader_is_reaped() -> None:
    assert _in_single_threaded_worker(_cancelled_reader)


def test_a_threaded_caller_reads_through_the_forkserver() -> None:
    stop = threading.Event()
    helper = threading.Thread(target=stop.wait)
    helper.start()
    try:
        got = read_bounded(text_pdf(SENTENCES))
    finally:
        stop.set()
        helper.join()
    assert got.status == "ok"
    assert SENTENCES[0] in got.text


def _reader_pid_beside(thread_name: str) -> int:
    """The reader's pid (0: read through the forkserver) while a thread of that name waits beside the caller."""
    stop = threading.Event()
    waiting = threading.Thread(target=stop.wait, name=thread_name)
    waiting.start()
    try:
        reading = start_reading(text_pdf(SENTENCES))
        assert reading.result().status == "ok"
        return reading.pid
    finally:
        stop.set()
        waiting.join()


def _beside_lifeline() -> int:
    return _reader_pid_beside(LIFELINE_THREAD)


def _beside_other_thread() -> int:
    return _reader_pid_beside("some-server")


def test_a_pool_workers_lifeline_thread_does_not_send_pdfs_to_the_forkserver() -> None:
    # A pool worker always runs its lifeline: counting it started a forkserver pool for every PDF (issue 20).
    assert _in_single_threaded_worker(_beside_lifeline) > 0
    assert _beside_other_thread() == 0  # here, not in a pool worker: a daemonic worker cannot start a forkserver


def test_a_good_pdf_reads_the_same_bounded_or_not() -> None:
    data = pages_pdf(4)
    assert read_bounded(data) == read_pdf(data)


def _reader_pid() -> int:
    reading = start_reading(text_pdf(SENTENCES))
    assert reading.result().status == "ok"
    return reading.pid


def test_a_worker_that_ends_reaps_its_reader() -> None:
    from concurrent.futures import ProcessPoolExecutor

    from extract.stage import _POOL_CONTEXT, start_workers

    start_workers()
    with ProcessPoolExecutor(max_workers=1, mp_context=_POOL_CONTEXT) as pool:
        pid = pool.submit(_reader_pid).result()
        assert Path(f"/proc/{pid}").exists()  # the reader waits for the next file
    # The worker ended normally: its reader was stopped and waited for, not left an orphan or a zombie.
    assert not Path(f"/proc/{pid}").exists()
