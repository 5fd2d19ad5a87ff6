"""Page kind's signals and answers, page by page, as `extract_page` asks for them: to hold two versions of the code
to the same answers (issue 20 item 4: page kind made cheaper, its outputs unchanged).

    PYTHONPATH=<code> .venv/bin/python <this file> OUT.jsonl [--run-dir DIR] [--limit N]

Reads every WCXB dev page (../shared/benchmarks/wcxb-dev/, 1,497 pages, no source) and, with --run-dir, the pages
of a crawled run of the scaled MPI mirror (its source without the body selector, as an unconfigured site); writes
one JSON line per page: the `Signals` that `page_kind` read (every field) and the page kind `extract_page` gave.
Run it as a file with PYTHONPATH set to each version (an exported main, the branch), then compare the two files:
`cmp a.jsonl b.jsonl`.
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import json
from pathlib import Path
from typing import Any

WCXB = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "wcxb-dev"


def main() -> None:
    """Write each page's signals and kind."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--run-dir", type=Path, help="a crawled run of the scaled MPI mirror")
    parser.add_argument("--wcxb", type=Path, default=WCXB)
    parser.add_argument("--limit", type=int)
    args = parser.parse_args()

    import extract.page
    import extract.page_kind as page_kind
    from migdigest.config import Source, load_config
    from spiders.rundir import read_body, read_pages

    seen: list[Any] = []
    signals = page_kind.signals

    def recorded(*a: Any, **k: Any) -> Any:
        found = signals(*a, **k)
        seen.append(found)
        return found

    page_kind.signals = recorded  # page_kind() looks it up in its module
    files = json.loads((args.wcxb / "metadata-dev.json").read_text(encoding="utf-8"))["files"]
    pages: list[tuple[str, bytes, str, Source | None, dict[str, str]]] = [
        (f"wcxb/{key}", gzip.decompress((args.wcxb / "dev" / "html" / f"{key}.html.gz").read_bytes()),
         info.get("url", ""), None, {})
        for key, info in sorted(files.items())
    ]  # fmt: skip
    if args.run_dir:
        mpi = load_config().source("mpi")
        plain = mpi.model_copy(update={"selectors": mpi.selectors.model_copy(update={"body": None})})
        pages += [(f"mpi/{p.url}", read_body(args.run_dir, p), p.url, plain, p.hints)
                  for p in read_pages(args.run_dir) if not p.hints.get("pdf_of")]  # fmt: skip
    with args.out.open("w", encoding="utf-8") as out:
        for key, html, url, source, hints in pages[: args.limit]:
            seen.clear()
            try:
                kind: str = extract.page.extract_page(html, url, source=source, hints=hints).page_type
            except Exception as exc:  # an error is an answer too: both versions must give it
                kind = f"error {type(exc).__name__}"
            rows = [dataclasses.asdict(s) for s in seen]
            for row in rows:
                for name, value in row.items():
                    if isinstance(value, frozenset):
                        row[name] = sorted(value)
            out.write(json.dumps({"page": key, "kind": kind, "signals": rows}, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
