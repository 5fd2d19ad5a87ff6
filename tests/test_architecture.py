"""docs/architecture.md names only what exists, and its layers are the ones import-linter checks."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from migdigest.paths import REPO_ROOT

DOC = (REPO_ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def _named_paths() -> set[str]:
    """Every `folder/` or `folder/file.ext` the page quotes."""
    quoted = re.findall(r"`([^`\s]+)`", DOC)
    return {q for q in quoted if "/" in q and not q.startswith(("http", "-")) and re.fullmatch(r"[\w./-]+", q)}


def test_every_path_the_page_names_exists() -> None:
    named = _named_paths()
    assert len(named) > 30  # the page is read, not skipped
    missing = sorted(p for p in named if not (REPO_ROOT / p).exists())
    assert missing == []


def test_every_layer_is_a_package() -> None:
    contract = _contracts()["layers"]
    packages = [name.strip() for layer in contract["layers"] for name in layer.split("|")]
    assert [p for p in packages if not (REPO_ROOT / p / "__init__.py").exists()] == []


def test_the_page_states_the_layers_the_contract_checks() -> None:
    stated = re.search(r"\*\*layers\*\*: (.+);", DOC)
    assert stated is not None
    layers = [layer.replace("`", "").strip() for layer in stated.group(1).split(">")]
    assert layers == _contracts()["layers"]["layers"]


def _contracts() -> dict[str, dict[str, list[str]]]:
    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return {c["type"]: c for c in config["tool"]["importlinter"]["contracts"]}


def test_the_page_names_every_package_of_the_tree() -> None:
    packages = {p.parent.name for p in Path(REPO_ROOT).glob("*/__init__.py")} - {"tests", "bench"}
    assert {p for p in packages if not re.search(rf"(?<![\w/]){p}/", DOC)} == set()
