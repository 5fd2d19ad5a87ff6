"""Serve a mirrored site on loopback: GET/HEAD with validators and conditional requests, nothing else."""

from __future__ import annotations

import argparse
import re
import threading
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

from mirrors.faults import FaultPlan
from mirrors.kit.site import Page, Site

_HOST_HEADER = re.compile(r"^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")


def _site(name: str) -> Site:
    from mirrors import SITES  # late: the registry imports every site package

    try:
        return SITES[name]
    except KeyError:
        raise ValueError(f"unknown mirror {name!r}; known: {', '.join(sorted(SITES))}") from None


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, address: tuple[str, int], site: Site, faults: FaultPlan | None = None, validators: bool = True
    ) -> None:
        super().__init__(address, _Handler)
        self.site = site
        self.faults = faults
        self.validators = validators
        host, port = self.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else str(host)
        shown = f"[{name}]" if ":" in name else name
        self.base_url = f"http://{shown}:{port}"


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.1"
    server_version = "Apache"
    timeout = 30  # close idle keep-alive connections

    def version_string(self) -> str:
        """The Server header: what the real site sends, not Python's version."""
        return self.server.site.server_header

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet: tests and the demo read their own output."""

    def _base_url(self) -> str:
        # Like a CMS behind a proxy, build absolute URLs from the host and scheme the client asked for: a crawler
        # that connects here with the real site's Host and `X-Forwarded-Proto: https` gets the real site's URLs.
        host = self.headers.get("Host", "")
        scheme = "https" if self.headers.get("X-Forwarded-Proto", "").strip().lower() == "https" else "http"
        return f"{scheme}://{host}" if _HOST_HEADER.match(host) else self.server.base_url

    def _not_modified(self, page: Page) -> bool:
        if page.status != 200 or not self.server.validators:
            return False
        tags = self.headers.get("If-None-Match")
        if tags is not None:
            wanted = {t.strip().removeprefix("W/") for t in tags.split(",")}
            return "*" in wanted or page.etag in wanted
        since = self.headers.get("If-Modified-Since")
        if since:
            try:
                when = parsedate_to_datetime(since)
            except (TypeError, ValueError):
                return False
            if when.tzinfo is None:
                return False
            return page.last_modified.replace(microsecond=0) <= when
        return False

    def _answer(self, with_body: bool) -> None:
        if self.server.faults and self.server.faults.handle(self):  # a fault a test ordered answers first
            return
        try:
            page = self.server.site.get(self._base_url(), self.path)
        except Exception as exc:  # a bug in a site must show as a 500, not as a dropped connection
            body = f"500 Internal Server Error: {type(exc).__name__}: {exc}\n".encode()
            self.send_response(500)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if with_body:
                self.wfile.write(body)
            raise
        if self._not_modified(page):
            self.send_response(304)
            self.send_header("ETag", page.etag)
            self.send_header("Last-Modified", page.http_last_modified)
            self._common_headers(page)
            self.end_headers()
            return
        self.send_response(page.status)
        self.send_header("Content-Type", page.content_type)
        self.send_header("Content-Length", str(len(page.body)))
        if page.status == 200 and self.server.validators:
            self.send_header("ETag", page.etag)
            self.send_header("Last-Modified", page.http_last_modified)
        self._common_headers(page)
        self.end_headers()
        if with_body:
            self.wfile.write(page.body)

    def _common_headers(self, page: Page) -> None:
        common = [("Cache-Control", "max-age=3600, public"), *self.server.site.extra_headers]
        own = {name.lower() for name, _ in page.headers}
        for name, value in [*(h for h in common if h[0].lower() not in own), *page.headers]:
            self.send_header(name, value)

    def do_GET(self) -> None:
        """Answer a GET."""
        self._answer(with_body=True)

    def do_HEAD(self) -> None:
        """Answer a HEAD: the GET headers without the body."""
        self._answer(with_body=False)


class MirrorServer:
    """A mirrored site served by a threaded HTTP server in a daemon thread."""

    def __init__(
        self,
        site: str = "mpi",
        host: str = "127.0.0.1",
        port: int = 0,
        faults: FaultPlan | None = None,
        validators: bool = True,
    ) -> None:
        self.site = _site(site)
        # False: no ETag or Last-Modified and no 304, as many CMSs answer (a revisit policy must cope).
        self.validators = validators
        self.host = host
        self.port = port
        # Faults to serve instead of the site (mirrors/faults.py); add or clear them while the server runs.
        self.faults = faults if faults is not None else FaultPlan()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """Root URL of the running server, without a trailing slash."""
        if self._httpd is None:
            raise RuntimeError("MirrorServer is not started")
        return self._httpd.base_url

    def start(self) -> MirrorServer:
        """Bind and serve in a background thread; returns self."""
        if self._httpd is not None:
            return self
        self._httpd = _HTTPServer((self.host, self.port), self.site, self.faults, self.validators)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1}, name=f"mirror-{self.site.name}"
        )
        self._thread.daemon = True
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def serve_forever(self, announce: Callable[[str], None] | None = None) -> None:
        """Serve in the calling thread until interrupted; `announce` gets the base URL once bound."""
        self._httpd = _HTTPServer((self.host, self.port), self.site, self.faults)
        if announce is not None:
            announce(self._httpd.base_url)
        try:
            self._httpd.serve_forever(poll_interval=0.5)
        except KeyboardInterrupt:
            pass
        finally:
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> MirrorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    """Command line: `python -m mirrors.server mpi [--port N] [--host H] [--fault PATH=KIND[,name=value...]]`."""
    from mirrors import SITES

    parser = argparse.ArgumentParser(prog="python -m mirrors.server", description="Serve a site mirror.")
    parser.add_argument("site", choices=sorted(SITES), help="which mirror to serve")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="PATH=KIND[,name=value...]",
        help="serve a fault on PATH, e.g. /research=status,status=503,times=2 (see mirrors/faults.py); repeatable",
    )
    args = parser.parse_args(argv)
    faults = FaultPlan()
    for spec in args.fault:
        try:
            faults.add_spec(spec)
        except (TypeError, ValueError) as exc:
            parser.error(f"--fault {spec}: {exc}")
    server = MirrorServer(args.site, host=args.host, port=args.port, faults=faults)
    server.serve_forever(announce=lambda url: print(url, flush=True))


if __name__ == "__main__":
    main()
