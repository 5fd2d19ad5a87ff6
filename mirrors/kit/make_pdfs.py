"""Write (or check) every mirror's PDFs from its content, with the one PDF maker in mirrors.kit.pdf.

Run from the repository root after editing a site's content:
    .venv/bin/python -m mirrors.kit.make_pdfs [SITE ...]            # (re)write the PDFs, removing orphans
    .venv/bin/python -m mirrors.kit.make_pdfs --check [SITE ...]    # exit 1 if a committed PDF is stale or missing
"""

from __future__ import annotations

import argparse
import sys

from mirrors import SITES
from mirrors.kit.pdf import stale, write


def main(argv: list[str] | None = None) -> int:
    """Write the PDFs of the named sites (default: all), or with --check report stale ones; the exit status."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare with the committed files")
    parser.add_argument("sites", nargs="*", help="sites (default: all)")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.sites) - set(SITES))
    if unknown:
        parser.error(f"unknown sites {unknown}; known: {', '.join(sorted(SITES))}")
    status = 0
    for name in args.sites or sorted(SITES):
        site = SITES[name]
        if site.pdf_folder is None:
            continue  # a variant serving another site's files (mpi-night2, odi-challenge)
        if args.check:
            for path in stale(site):
                print(f"stale or missing: {path}", file=sys.stderr)
                status = 1
            continue
        total, written, removed = write(site)
        print(f"{name}: {total} PDFs, {written} written, {removed} removed, in {site.pdf_folder}")
    return status


if __name__ == "__main__":
    sys.exit(main())
