"""CPU time of page_kind's signals() a page, this code's and another copy's side by side in one process.

    .venv/bin/python -m bench.page_kind_cost /work/shared/benchmarks/wcxb-dev --other /work/main/extract/page_kind.py

Parses every --every'th page of the benchmark once (and reads its metadata), then times signals() of each module
on the same trees, alternating which goes first in each round, as CPU time (time.process_time): the ratio is what
counts, the machine being shared.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from lxml.html import HtmlElement
from trafilatura.utils import load_html

from bench.page_kind import _jobs
from extract import page_kind
from extract.metadata import PageMeta, read_meta

Page = tuple[HtmlElement, PageMeta, str]


def _module(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("page_kind_other", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"{path}: not a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _cpu_ms(signals: Callable[[HtmlElement, PageMeta, str, str], object], pages: list[Page]) -> float:
    start = time.process_time()
    for tree, meta, url in pages:
        signals(tree, meta, "", url)
    return (time.process_time() - start) * 1000 / len(pages)


def main(argv: list[str] | None = None) -> None:
    """Time both modules' signals() on the same parsed pages and print CPU ms a page, round by round."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--other", type=Path, required=True, help="another copy of extract/page_kind.py")
    parser.add_argument("--every", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)
    other = _module(args.other)
    pages: list[Page] = []
    for _, url, _, path in _jobs(args.folder, None)[:: args.every]:
        tree = load_html(gzip.decompress(Path(path).read_bytes()))
        if tree is not None:
            pages.append((tree, read_meta(tree), url))
    print(f"{len(pages)} pages; CPU ms a page of signals(), this code / {args.other}")
    for round_ in range(args.repeat):
        if round_ % 2:
            theirs, ours = _cpu_ms(other.signals, pages), _cpu_ms(page_kind.signals, pages)
        else:
            ours, theirs = _cpu_ms(page_kind.signals, pages), _cpu_ms(other.signals, pages)
        print(f"  round {round_ + 1}: {ours:.1f} / {theirs:.1f} ms ({ours / theirs:.2f}x)")


if __name__ == "__main__":
    main()
