"""The digest: the only package that speaks SQL (through sqlite-utils) to the SQLite file."""

from storage.digest import Digest, content_hash
from storage.migrations import SchemaError
from storage.search import SNIPPET_END, SNIPPET_START, QueryError, SearchHit, build_match

__all__ = [
    "SNIPPET_END",
    "SNIPPET_START",
    "Digest",
    "QueryError",
    "SchemaError",
    "SearchHit",
    "build_match",
    "content_hash",
]
