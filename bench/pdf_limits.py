"""The hostile-PDF corpus read under the extract stage's limits: status, wall time and peak memory of each file.

    .venv/bin/python -m bench.pdf_limits [--unbounded SECONDS]

Each file of `tests/hostile_pdfs.py` is read by `extract.pdf_limits.read_bounded` with the stage's limits
(`extract.stage.PDF_LIMITS`) in a fresh process, which reports wall time, its reader child's peak RSS and the
status. With `--unbounded S`, each is also read by `read_pdf` in the process itself (no time or memory limit,
the output cap aside), killed after S seconds: what a worker would have gone through without the child.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time


def _measure(name: str, bounded: bool) -> dict[str, object]:
    """Read one corpus file here; what it cost."""
    from extract.pdf_limits import close_reader, read_bounded
    from extract.pdftext import read_pdf
    from extract.stage import PDF_LIMITS
    from tests.hostile_pdfs import CORPUS

    data = CORPUS[name]()
    started = time.perf_counter()
    got = read_bounded(data, PDF_LIMITS) if bounded else read_pdf(data)
    wall = time.perf_counter() - started
    close_reader()  # reaped, so its peak counts among this process's children
    who = resource.RUSAGE_CHILDREN if bounded else resource.RUSAGE_SELF
    return {
        "bytes": len(data),
        "status": got.status,
        "chars": len(got.text),
        "seconds": wall,
        "peak_mb": resource.getrusage(who).ru_maxrss // 1024,
        "message": got.message[:70],
    }


def main() -> None:
    """Run every file in a subprocess of its own and print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--unbounded", type=float, default=0.0, help="also read in-process, killed after S s")
    parser.add_argument("--one", nargs=2, help=argparse.SUPPRESS)  # the subprocess: NAME bounded|unbounded
    args = parser.parse_args()
    if args.one:
        print(json.dumps(_measure(args.one[0], args.one[1] == "bounded")))
        return

    from extract.stage import PDF_LIMITS
    from tests.hostile_pdfs import CORPUS

    print(f"limits: {PDF_LIMITS}")
    print(f"{'file':20}{'mode':>11}{'bytes':>9}{'status':>11}{'chars':>11}{'seconds':>9}{'peak MB':>9}  message")
    modes = ["bounded"] + (["unbounded"] if args.unbounded else [])
    for name in CORPUS:
        for mode in modes:
            cmd = [sys.executable, "-m", "bench.pdf_limits", "--one", name, mode]
            started = time.perf_counter()
            try:
                out = subprocess.run(cmd, capture_output=True, text=True, timeout=args.unbounded or None, check=False)
                row = json.loads(out.stdout.strip().splitlines()[-1]) if out.returncode == 0 else None
                if row is None:
                    row = {"status": f"died {out.returncode}", "seconds": time.perf_counter() - started}
            except subprocess.TimeoutExpired:
                row = {"status": "killed", "seconds": time.perf_counter() - started, "message": "still reading"}
            print(
                f"{name:20}{mode:>11}{row.get('bytes', ''):>9}{row['status']:>11}{row.get('chars', ''):>11}"
                f"{row['seconds']:>9.2f}{row.get('peak_mb', ''):>9}  {row.get('message', '')}"
            )


if __name__ == "__main__":
    main()
