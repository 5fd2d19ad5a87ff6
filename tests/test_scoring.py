"""The scoring rules the benchmark and the quality gate share (bench/scoring.py)."""

from __future__ import annotations

import pytest

from bench.scoring import Guess, Truth, author_match, coarse_kind, date_match, index_rates, score, title_match, word_f1


def test_body_words_are_compared_as_lower_cased_multisets() -> None:
    assert word_f1("The cat, the hat.", "the CAT the hat") == (1.0, 1.0, 1.0)
    precision, recall, f1 = word_f1("a b c d", "a b x y")
    assert (precision, recall) == (0.5, 0.5)
    assert f1 == pytest.approx(0.5)
    assert word_f1("a b", "") == (0.0, 0.0, 0.0)


def test_titles_dates_and_authors_match_by_their_rules() -> None:
    assert title_match("Beginner’s Guide to SEO", "beginner's guide to SEO")
    assert not title_match("Beginner's Guide to SEO", "The Beginner's Guide to SEO")
    assert date_match("2025-09-04", "2025-09-04T23:10:00+02:00")
    assert not date_match("2025-09-04", "2025-09-05")
    assert author_match("Moses Kim and Kate Shokurova", ["Kate Shokurova", "Moses Kim"], strict=True)
    assert author_match("Moses Kim and Kate Shokurova", ["Moses Kim"], strict=False)
    assert not author_match("Moses Kim and Kate Shokurova", ["Moses Kim"], strict=True)
    assert not author_match("Moses Kim", [], strict=False)


def test_page_kinds_fold_into_publication_index_and_other() -> None:
    assert [coarse_kind(k) for k in ("article", "listing", "collection", "forum")] == [
        "publication",
        "index",
        "index",
        "other",
    ]
    assert coarse_kind("tag") == "index"
    rates = index_rates(
        [("listing", "listing"), ("collection", "article"), ("article", "listing"), ("article", "article")]
    )
    assert rates == {"index_recognised": 0.5, "publications_as_index": 0.5}


def test_only_fields_the_truth_has_are_scored() -> None:
    scores = score(Truth(body="a b", title="T", kind="listing"), Guess(body="a b", title="T", kind="article"))
    assert scores == {"body_f1": 1.0, "title": 1.0, "kind": 0.0}
