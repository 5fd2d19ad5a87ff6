"""Where the repository keeps its configuration, digest, run archives and published outputs by default."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
CONFIG_DIR = REPO_ROOT / "config"
DATA_DIR = REPO_ROOT / "data"
DEFAULT_DB = DATA_DIR / "digest.db"
DEFAULT_OUT_DIR = REPO_ROOT / "out"
