"""The reference of every source key (docs/sources.md), generated from the config models so it cannot drift.

.venv/bin/python -m migdigest.config_reference          # rewrite docs/sources.md
.venv/bin/python -m migdigest.config_reference --check  # exit 1 when it differs from the models
"""

from __future__ import annotations

import argparse
import re
import sys
import types
from pathlib import Path
from typing import Any, get_args, get_origin

from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from migdigest.config import Discovery, Listing, Politeness, Selectors, Settings, Source, StoreSettings, UrlType
from migdigest.models import DOC_TYPES
from migdigest.paths import REPO_ROOT

DOC = REPO_ROOT / "docs" / "sources.md"

# Each part of the configuration: (where it sits in a file, its model).
SECTIONS: list[tuple[str, type[BaseModel]]] = [
    ("sources.NAME", Source),
    ("sources.NAME.discovery", Discovery),
    ("sources.NAME.discovery.listings[]", Listing),
    ("sources.NAME.url_types[]", UrlType),
    ("sources.NAME.selectors", Selectors),
    ("sources.NAME.politeness", Politeness),
    ("settings", Settings),
    ("settings.store", StoreSettings),
]

_INTRO = f"""# Source configuration: every key

<!-- Generated from the models in migdigest/config.py by `python -m migdigest.config_reference`; do not edit.
     tests/test_config_reference.py fails when this page and the models disagree. -->

A source is one file, `config/sources.d/NAME.yaml`, holding `sources: {{NAME: {{...}}}}`; `config/sources.yaml`
holds the crawler-wide `settings` (and may hold sources too). Unknown keys are errors, and `migdigest sources`
names the file, source, key and fix of any mistake.

- `migdigest add-source URL` probes a new site (robots.txt, sitemaps, feeds, a paged listing), proposes include
  patterns from the URL shapes it finds, dry-runs a small crawl and writes this file with a comment on every key.
- URLs in the configuration are the real site's. To crawl a copy of a site (a mirror, a staging server), keep them
  and pass `--base-url NAME=URL` to `migdigest run` or `migdigest sources --check-live`
  (`migdigest add-source URL --base-url URL` probes a copy the same way).
- Document types (`type_labels`, `url_types`): {", ".join(f"`{t}`" for t in DOC_TYPES)}.
"""


def type_name(annotation: Any) -> str:
    """A field's type as a reader writes it: `str`, `list[str]`, `Listing`, `str | None`."""
    if isinstance(annotation, types.UnionType) or get_origin(annotation) is not None:
        origin = get_origin(annotation)
        args = [type_name(a) for a in get_args(annotation)]
        if isinstance(annotation, types.UnionType):
            return " | ".join(args)
        return f"{getattr(origin, '__name__', str(origin))}[{', '.join(args)}]"
    if annotation is type(None):
        return "None"
    if isinstance(annotation, type):
        return annotation.__name__
    return re.sub(r"\b[\w.]+\.(\w+)", r"\1", str(annotation))


def default_text(field: FieldInfo) -> str:
    """A field's default as YAML would say it, `required` when it has none, `see below` for a nested part."""
    if field.default is PydanticUndefined and field.default_factory is None:
        return "required"
    value = field.get_default(call_default_factory=True)
    if isinstance(value, BaseModel):
        return "see below"
    if value is None:
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return f'`"{value}"`' if value else '`""`'
    if isinstance(value, list | dict):
        return f"`{value!r}`".replace("'", '"')
    return f"`{value}`"


def limits(field: FieldInfo) -> str:
    """The bounds a number must keep, e.g. `>= 1, <= 16`."""
    words = []
    for rule in field.metadata:
        for kind, sign in ((Ge, ">="), (Gt, ">"), (Le, "<="), (Lt, "<")):
            if isinstance(rule, kind):
                words.append(f"{sign} {getattr(rule, kind.__name__.lower())}")
    return ", ".join(words)


def section(where: str, model: type[BaseModel]) -> str:
    """One model as a table of its keys."""
    doc = (model.__doc__ or "").strip()
    rows = [f"## `{where}`", "", f"{doc} (`{model.__name__}`)", "", "| key | type | default | description |",
            "| --- | --- | --- | --- |"]  # fmt: skip
    for key, field in model.model_fields.items():
        bounds = limits(field)
        text = (field.description or "").replace("|", "\\|") + (f" ({bounds})" if bounds else "")
        kind = type_name(field.annotation).replace("|", "\\|")
        rows.append(f"| `{key}` | `{kind}` | {default_text(field)} | {text} |")
    return "\n".join(rows) + "\n"


def reference() -> str:
    """The whole page."""
    return "\n".join([_INTRO, *(section(where, model) for where, model in SECTIONS)])


def main(argv: list[str] | None = None) -> int:
    """Write docs/sources.md, or with --check say whether it is current; the exit status."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare, exit 1 when the page is stale")
    parser.add_argument("--doc", type=Path, default=DOC, help="the page (default: docs/sources.md)")
    args = parser.parse_args(argv)
    doc: Path = args.doc
    text = reference()
    if args.check:
        current = doc.read_text(encoding="utf-8") if doc.exists() else ""
        if current != text:
            print(f"{doc} is stale: run .venv/bin/python -m migdigest.config_reference", file=sys.stderr)
            return 1
        return 0
    doc.write_text(text, encoding="utf-8")
    print(f"wrote {doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
