"""Word-level differences between two versions of a text, for showing what changed in a publication."""

from __future__ import annotations

import difflib
import re


def word_diff(old: str, new: str) -> str:
    """The new text with removed words as [-…-] and added words as {+…+}, like `git diff --word-diff`."""
    a, b = re.findall(r"\S+|\n", old), re.findall(r"\S+|\n", new)
    out: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            out.extend(b[j1:j2])
        if op in ("delete", "replace"):
            out.append("[-" + " ".join(a[i1:i2]) + "-]")
        if op in ("insert", "replace"):
            out.append("{+" + " ".join(b[j1:j2]) + "+}")
    return re.sub(r" ?\n ?", "\n", " ".join(out)).strip()


def changed_words(old: str, new: str) -> tuple[int, int]:
    """How many words were removed and added."""
    a, b = old.split(), new.split()
    removed = added = 0
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op in ("delete", "replace"):
            removed += i2 - i1
        if op in ("insert", "replace"):
            added += j2 - j1
    return removed, added
