"""Save golden pages from a bundled mirror: `python -m tests.save_pages mpi` (then review and commit).

Pages are rendered for the real base URL, as the live site would serve them; each gets a `.meta.json` with
its URL and source. Expected JSON is written separately, by `pytest tests/test_golden.py --update-golden`.
"""

from __future__ import annotations

import argparse
import json

from migdigest.config import load_config
from tests.golden import FIXTURES


def save(name: str) -> None:
    """Write the chosen pages of source `name`'s mirror under tests/fixtures/<name>/."""
    from mirrors import SITES

    source = load_config().source(name)
    mirror = source.mirror or name
    rendering = SITES[mirror].rendering(source.base_url)
    out = FIXTURES / name
    out.mkdir(parents=True, exist_ok=True)
    for stem, path in SITES[mirror].golden_pages().items():
        page = rendering.pages[path]
        (out / f"{stem}.html").write_bytes(page.body)
        meta = {"source": name, "url": source.base_url + path}
        (out / f"{stem}.meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        print(f"saved {out / stem}.html  ({len(page.body):,} bytes)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sources", nargs="+")
    for source_name in parser.parse_args().sources:
        save(source_name)
