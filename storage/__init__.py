"""The digest: the only package that speaks SQL (through sqlite-utils) to the SQLite file."""

from storage.digest import Digest, DigestError, content_hash, is_damage
from storage.migrations import SchemaError
from storage.search import SNIPPET_END, SNIPPET_START, QueryError, SearchHit, build_match

__all__ = [
    "SNIPPET_END",
    "SNIPPET_START",
    "Digest",
    "DigestError",
    "QueryError",
    "SchemaError",
    "SearchHit",
    "build_match",
    "content_hash",
    "is_damage",
]
