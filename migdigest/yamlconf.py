"""The strict-YAML layer shared by every file under `config/`: strict models, reading, and errors that say the fix."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

# The C loader when present: the pure-Python one takes half a second on the taxonomy file.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ConfigError(Exception):
    """A configuration file is wrong; the message says where and how to fix it."""


class Strict(BaseModel):
    """A model of a configuration file's part: unknown keys are errors and loaded values do not change."""

    # Unknown keys are errors: a typo in config (a misspelt `topic:` or language) must not be silently ignored.
    model_config = ConfigDict(extra="forbid", frozen=True)


def read_yaml(
    path: Path, shape: str = "expected a mapping at the top level, found {found}", *, empty_ok: bool = True
) -> dict[str, Any]:
    """The top-level mapping of a YAML file; a ConfigError names the file when it is not YAML or not a mapping."""
    # `shape` is each file's own complaint about a top level that is not a mapping (`{found}`: what is there).
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        raise ConfigError(yaml_problem(path, text, exc)) from None
    if data is None and empty_ok:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: {shape.format(found=type(data).__name__)}")
    return data


_KEY = re.compile(r"^\s*-?\s*([^\s:#][^:#]*?)\s*:(?:\s|$)")


def yaml_problem(path: Path, text: str, exc: yaml.YAMLError) -> str:
    """A YAML syntax error as the file, line and key where it is, the line itself, and the usual fixes."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if mark is None:
        return f"{path}: not valid YAML: {problem}"
    lines = text.splitlines()
    line = lines[mark.line] if mark.line < len(lines) else ""
    key = _KEY.match(line)
    where = f"line {mark.line + 1}" + (f", key {key[1]!r}" if key else "")
    return (
        f"{path}: {where}: not valid YAML ({problem}): {line.strip()!r}; "
        "fix: indent this key like the other keys of its mapping (two spaces per level), "
        "or quote a value that starts with one of [ { * & ! | > or holds ': '"
    )


def suggest(name: str, known: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for the closest known name, or '' when none is close."""
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def describe(
    path: Path,
    error: ValidationError,
    *,
    owner: str = "",
    prefix: str = "",
    spelling_hint: Callable[[tuple[int | str, ...]], str] | None = None,
    plain_messages: bool = False,
) -> str:
    """One line per validation error: the file, the owner (e.g. "source 'mpi'") and key, and the fix."""
    # `prefix`: the part of the file the model was read from; `spelling_hint`: more advice on an unknown key (the
    # keys allowed there); `plain_messages` drops pydantic's "Value error, ", as teams.yaml's messages always have.
    lines = []
    for err in error.errors():
        loc = prefix + ".".join(str(part) for part in err["loc"])
        where = f"{owner}, key {loc!r}" if owner else f"key {loc!r}"
        if err["type"] == "extra_forbidden":
            fix = "remove it or check its spelling" + (spelling_hint(err["loc"]) if spelling_hint else "")
        elif err["type"] == "missing":
            fix = "add it"
        else:
            fix = err["msg"].removeprefix("Value error, ") if plain_messages else err["msg"]
        lines.append(f"{path}: {where}: {fix}")
    return "\n".join(lines)
