"""docs/sources.md, the reference of every source key, agrees with the config models it is generated from."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel

from migdigest.config import Settings, Source
from migdigest.config_reference import DOC, SECTIONS, reference


def _nested(model: type[BaseModel]) -> set[type[BaseModel]]:
    """The model and every model its fields hold, however deep."""
    found = {model}
    for field in model.model_fields.values():
        stack: list[Any] = [field.annotation]
        while stack:
            annotation = stack.pop()
            stack += list(get_args(annotation))
            if isinstance(annotation, type) and issubclass(annotation, BaseModel) and annotation not in found:
                found |= _nested(annotation)
    return found


def _documented_keys() -> dict[str, list[str]]:
    """Section ("sources.NAME.discovery") -> the keys its table lists, read from the page as written."""
    keys: dict[str, list[str]] = {}
    current = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if heading := re.fullmatch(r"## `([^`]+)`", line):
            current = heading.group(1)
            keys[current] = []
        elif current and (row := re.match(r"\| `(\w+)` \|", line)):
            keys[current].append(row.group(1))
    return keys


def test_the_page_is_what_the_models_make() -> None:
    assert DOC.read_text(encoding="utf-8") == reference(), "run: .venv/bin/python -m migdigest.config_reference"


def test_every_key_of_every_model_is_on_the_page() -> None:
    documented = _documented_keys()
    assert list(documented) == [where for where, _ in SECTIONS]
    for where, model in SECTIONS:
        assert documented[where] == list(model.model_fields), where


def test_every_part_of_the_config_has_a_section_and_every_key_a_description() -> None:
    models = {model for _, model in SECTIONS}
    assert _nested(Source) | _nested(Settings) == models
    for model in models:
        for key, field in model.model_fields.items():
            assert field.description, f"{model.__name__}.{key} has no Field(description=...)"


def _check(doc: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "migdigest.config_reference", "--check", "--doc", str(doc)]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def test_check_mode_passes_the_page_and_fails_a_stale_copy(tmp_path: Path) -> None:
    assert _check(DOC).returncode == 0
    stale = tmp_path / "sources.md"
    stale.write_text(DOC.read_text(encoding="utf-8").replace("| `max_pages` |", "| `maxpages` |"), encoding="utf-8")
    out = _check(stale)
    assert out.returncode == 1
    assert "is stale: run .venv/bin/python -m migdigest.config_reference" in out.stderr
