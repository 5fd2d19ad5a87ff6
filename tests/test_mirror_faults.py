"""Faults ordered on a running mirror (mirrors/faults.py), observed at the raw HTTP and socket level."""

from __future__ import annotations

import http.client
import re
import socket
import subprocess
import sys
import urllib.error
import urllib.request
import urllib.robotparser
import zlib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from mirrors.faults import FaultPlan, crc32_zeros, gzip_bomb
from mirrors.server import MirrorServer
from spiders.challenge import is_challenge

REPO = Path(__file__).resolve().parents[1]
PAGE = "/research/global-mobility-post-pandemic"  # has ’ and — : its windows-1252 bytes differ from UTF-8
MB = 1 << 20


@pytest.fixture(scope="module")
def server() -> Iterator[MirrorServer]:
    with MirrorServer("mpi") as running:
        yield running


@pytest.fixture(autouse=True)
def no_faults_left(server: MirrorServer) -> Iterator[None]:
    yield
    server.faults.clear()


def connect(server: MirrorServer, timeout: float = 5.0) -> http.client.HTTPConnection:
    parts = urlsplit(server.base_url)
    return http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)


def get(server: MirrorServer, path: str, method: str = "GET") -> tuple[http.client.HTTPResponse, bytes]:
    conn = connect(server)
    try:
        conn.request(method, path)
        response = conn.getresponse()
        return response, response.read()
    finally:
        conn.close()


# -- the plan --------------------------------------------------------------------------------------------------


def test_plan_validates_and_parses() -> None:
    plan = FaultPlan()
    assert not plan
    with pytest.raises(ValueError, match="unknown fault kind"):
        plan.add("/x", "meltdown")
    with pytest.raises(TypeError, match="no parameter"):
        plan.add("/x", "status", stauts=500)
    with pytest.raises(ValueError, match="start with '/'"):
        plan.add("x", "reset")
    fault = plan.add_spec("/research=status,status=429,retry_after=7,times=2")
    assert (fault.path, fault.kind, fault.times, fault.params) == (
        "/research",
        "status",
        2,
        {"status": 429, "retry_after": 7},
    )
    assert plan.add_spec("/robots.txt=robots_disallow,disallow=/news/|/article/").params["disallow"] == (
        "/news/",
        "/article/",
    )
    assert plan.add("/a", "redirect_loop").params["to"] == "/a/"
    assert len(plan) == 3
    plan.remove("/research")
    assert len(plan) == 2
    assert plan.hits("/research") == 0


def test_no_fault_no_change(server: MirrorServer) -> None:
    response, body = get(server, PAGE)
    assert response.status == 200
    assert response.getheader("Server") == "Apache"
    server.faults.add("/elsewhere", "status", status=500)
    assert get(server, PAGE)[1] == body


# -- HTTP errors and stalls ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "marker"),
    [
        (500, b"The website encountered an unexpected error"),
        (502, b"<title>502 Proxy Error</title>"),
        (503, b"<title>503 Service Unavailable</title>"),
        (429, b"<title>429 Too Many Requests</title>"),
    ],
)
def test_status(server: MirrorServer, status: int, marker: bytes) -> None:
    server.faults.add(PAGE, "status", status=status, retry_after=7 if status in (429, 503) else None)
    response, body = get(server, PAGE)
    assert response.status == status
    assert marker in body
    assert int(response.getheader("Content-Length") or -1) == len(body)
    assert response.getheader("Retry-After") == ("7" if status in (429, 503) else None)
    assert response.getheader("Server") == "Apache"
    head, empty = get(server, PAGE, "HEAD")
    assert head.status == status
    assert empty == b""


def test_first_n_times_then_normal(server: MirrorServer) -> None:
    server.faults.add(PAGE, "status", status=503, times=2)
    assert [get(server, PAGE)[0].status for _ in range(4)] == [503, 503, 200, 200]
    assert server.faults.hits(PAGE) == 2
    # The query does not matter to a fault, and a fault stays on its own path.
    server.faults.add(PAGE, "status", status=502, times=1)
    assert get(server, PAGE + "?utm_source=x")[0].status == 502
    assert get(server, PAGE + "/")[0].status == 200


def test_prefix(server: MirrorServer) -> None:
    server.faults.add("/news", "status", status=500, prefix=True)
    assert get(server, "/news/spain-bridge-transatlantic-migration")[0].status == 500
    assert get(server, "/news")[0].status == 500
    assert get(server, "/newsletters")[0].status == 200


def test_slow_outlasts_the_client_timeout(server: MirrorServer) -> None:
    server.faults.add(PAGE, "slow", delay=3.0, times=1)
    conn = connect(server, timeout=0.3)
    conn.request("GET", PAGE)
    with pytest.raises(TimeoutError):  # the client gives up: the 3 s answer never comes in its 0.3 s
        conn.getresponse()
    conn.close()
    assert get(server, PAGE)[0].status == 200  # the next try is answered at once


def test_slow_then_answers(server: MirrorServer) -> None:
    server.faults.add(PAGE, "slow", delay=0.5)
    impatient = connect(server, timeout=0.1)
    impatient.request("GET", PAGE)
    with pytest.raises(TimeoutError):  # the delay is there: a client waiting less than it gets nothing
        impatient.getresponse()
    impatient.close()
    response, body = get(server, PAGE)  # a patient client gets the page after the delay
    assert response.status == 200
    assert body.startswith(b"<!DOCTYPE html>")


def test_reset_before_headers(server: MirrorServer) -> None:
    server.faults.add(PAGE, "reset", times=1)
    conn = connect(server)
    conn.request("GET", PAGE)
    # http.client.RemoteDisconnected is a ConnectionResetError too.
    with pytest.raises(ConnectionResetError):
        conn.getresponse()
    conn.close()
    assert get(server, PAGE)[0].status == 200


def test_reset_after_headers(server: MirrorServer) -> None:
    server.faults.add(PAGE, "reset", after_headers=True)
    conn = connect(server)
    conn.request("GET", PAGE)
    response = conn.getresponse()
    assert response.status == 200
    assert int(response.getheader("Content-Length") or 0) > 0
    with pytest.raises(ConnectionResetError):
        response.read()
    conn.close()


def test_truncated(server: MirrorServer) -> None:
    full = get(server, PAGE)[1]
    server.faults.add(PAGE, "truncated", fraction=0.25)
    conn = connect(server)
    conn.request("GET", PAGE)
    response = conn.getresponse()
    assert int(response.getheader("Content-Length") or 0) == len(full)
    with pytest.raises(http.client.IncompleteRead) as caught:
        response.read()
    assert caught.value.partial == full[: len(full) // 4]
    conn.close()


# -- hostile bodies --------------------------------------------------------------------------------------------


def test_wrong_charset(server: MirrorServer) -> None:
    server.faults.add(PAGE, "wrong_charset")
    response, body = get(server, PAGE)
    assert response.getheader("Content-Type") == "text/html; charset=utf-8"
    assert b'<meta charset="utf-8" />' in body
    assert b"Ethiopia\x92s" in body
    assert b"\xe2\x80\x99" not in body
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert "Ethiopia’s transit hubs" in body.decode("cp1252")


def test_no_charset_anywhere(server: MirrorServer) -> None:
    server.faults.add(PAGE, "no_charset")
    response, body = get(server, PAGE)
    assert response.getheader("Content-Type") == "text/html"
    assert b"charset" not in body.lower()
    assert "Ethiopia’s transit hubs" in body.decode("cp1252")


@pytest.mark.parametrize("chunked", [False, True])
def test_huge(server: MirrorServer, chunked: bool) -> None:
    size = 20 * MB if not chunked else 2 * MB
    server.faults.add(PAGE, "huge", size=size, chunked=chunked)
    conn = connect(server)
    conn.request("GET", PAGE)
    response = conn.getresponse()
    assert response.getheader("Content-Type") == "text/html; charset=utf-8"
    assert response.getheader("Transfer-Encoding") == ("chunked" if chunked else None)
    total, first, last = 0, b"", b""
    while chunk := response.read(MB):
        first = first or chunk
        last = chunk
        total += len(chunk)
    conn.close()
    assert total == size
    assert total >= (20_000_000 if not chunked else 2_000_000)
    if not chunked:
        assert int(response.getheader("Content-Length") or 0) == size
    assert first.startswith(b"<!DOCTYPE html>")
    assert last.endswith(b"</html>\n")
    assert b"<table>" in first
    assert b"</tbody>\n</table>" in last


def test_binary(server: MirrorServer) -> None:
    server.faults.add(PAGE, "binary")
    response, body = get(server, PAGE)
    assert response.getheader("Content-Type") == "text/html; charset=utf-8"
    assert len(body) == 65536
    assert get(server, PAGE)[1] == body
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")


def test_gzip_bomb(server: MirrorServer) -> None:
    server.faults.add(PAGE, "gzip_bomb")
    response, body = get(server, PAGE)
    assert response.getheader("Content-Encoding") == "gzip"
    assert response.getheader("Content-Type") == "text/html; charset=utf-8"
    assert len(body) < 5 * MB
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
    inflated, data = 0, body
    while data and inflated < 200 * MB:
        inflated += len(inflater.decompress(data, 8 * MB))  # bounded output per call: memory stays low
        data = inflater.unconsumed_tail
    assert inflated >= 200 * MB


def test_gzip_bomb_is_valid_gzip() -> None:
    small = gzip_bomb(3 * MB + 5)
    assert zlib.decompress(small, zlib.MAX_WBITS | 16) == bytes(3 * MB + 5)
    for n in (0, 1, 255, 4096, MB + 3):
        assert crc32_zeros(n) == zlib.crc32(bytes(n))


# -- crawler traps and blocks ----------------------------------------------------------------------------------


def test_redirect_loop(server: MirrorServer) -> None:
    server.faults.add("/research", "redirect_loop")
    first, _ = get(server, "/research")
    assert first.status == 302
    assert first.getheader("Location") == server.base_url + "/research/"
    second, _ = get(server, "/research/")
    assert second.status == 302
    assert second.getheader("Location") == server.base_url + "/research"
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(server.base_url + "/research", timeout=5)
    caught.value.close()
    assert caught.value.code == 302
    assert "loop" in str(caught.value.reason)


def test_calendar_never_ends(server: MirrorServer) -> None:
    server.faults.add("/events/calendar", "calendar", linked_from="/events")
    events = get(server, "/events")[1].decode()
    assert 'href="/events/calendar"' in events
    assert "Events" in events
    url = server.base_url + "/events/calendar"
    seen: set[str] = set()
    for _ in range(40):
        response, body = get(server, url.removeprefix(server.base_url))
        page = body.decode()
        assert response.status == 200
        assert url not in seen
        seen.add(url)
        hrefs = re.findall(r'href="(/events/calendar\?date=[^"]+)"', page)
        assert len(hrefs) >= 4
        nxt = re.search(r'href="([^"]+)" rel="next"', page)
        assert nxt
        url = urljoin(url, nxt.group(1))
    assert url.endswith("?date=2027-08")  # 40 months on from April 2024, and still going
    day = re.search(r'href="(/events/calendar\?date=\d{4}-\d\d-\d\d)"', page)
    assert day
    assert 'rel="next"' in get(server, day.group(1))[1].decode()
    assert get(server, "/events/calendar?date=nonsense")[0].status == 200


def test_robots_disallow(server: MirrorServer) -> None:
    original = get(server, "/robots.txt")[1].decode()
    server.faults.add("/robots.txt", "robots_disallow", disallow=["/news/", "/article/"])
    text = get(server, "/robots.txt")[1].decode()
    assert "Disallow: /news/" in text.splitlines()
    assert "Disallow: /article/" in text.splitlines()
    assert set(original.splitlines()) <= set(text.splitlines())
    robots = urllib.robotparser.RobotFileParser()
    robots.parse(text.splitlines())
    assert not robots.can_fetch("migdigest", server.base_url + "/news/spain-bridge-transatlantic-migration")
    assert robots.can_fetch("migdigest", server.base_url + PAGE)


def test_challenge(server: MirrorServer) -> None:
    server.faults.add("/research", "challenge", prefix=True)
    response, body = get(server, PAGE)
    headers = {k.lower(): v for k, v in response.getheaders()}
    assert response.status == 403
    assert headers["server"] == "cloudflare"
    assert headers["cf-mitigated"] == "challenge"
    assert "cf-ray" in headers
    assert b"<title>Just a moment...</title>" in body
    assert b"/cdn-cgi/challenge-platform/" in body
    assert is_challenge(response.status, headers, body)
    assert get(server, "/news")[0].status == 200


def test_command_line_fault() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "mirrors.server", "mpi", "--port", "0", "--fault", f"{PAGE}=status,status=503,times=1"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        base = proc.stdout.readline().strip()
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(base + PAGE, timeout=5)
        caught.value.close()
        assert caught.value.code == 503
        with urllib.request.urlopen(base + PAGE, timeout=5) as again:
            assert again.status == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()


def _read_until_closed(sock: socket.socket) -> None:
    while sock.recv(65536):
        pass


def test_socket_level_reset_is_an_rst(server: MirrorServer) -> None:
    """Below http.client: the peer's abort shows as ECONNRESET on recv, not as an orderly EOF."""
    server.faults.add("/", "reset")
    parts = urlsplit(server.base_url)
    with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=5) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        with pytest.raises(ConnectionResetError):
            _read_until_closed(sock)
