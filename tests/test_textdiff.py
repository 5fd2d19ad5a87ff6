"""Word-level diffs of publication versions."""

from __future__ import annotations

from extract.textdiff import changed_words, word_diff


def test_word_diff_marks_removed_and_added_words() -> None:
    old = "Remittances rose by 5 percent in 2023.\nThey fell later."
    new = "Remittances rose by 7 percent in 2023.\nThey fell later. A new sentence."
    expected = "Remittances rose by [-5-] {+7+} percent in 2023.\nThey fell later. {+A new sentence.+}"
    assert word_diff(old, new) == expected
    assert changed_words(old, new) == (1, 4)


def test_identical_texts_have_no_marks() -> None:
    assert word_diff("same words here", "same words here") == "same words here"
    assert changed_words("a b", "a b") == (0, 0)
