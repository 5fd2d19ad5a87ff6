"""Reading a site's content files: YAML into plain data, with the value conversions every site needs."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import yaml


def read_yaml(path: Path) -> Any:
    """The data of one YAML content file (the C loader when PyYAML has it: the files are large)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=loader)


def as_date(value: Any) -> date:
    """A YAML date, or an ISO date string, as a `date`."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))
