"""Unit tests for the pure normalisers."""

from __future__ import annotations

import pytest

from extract.normalise import canonical_url, clean_authors, clean_title, parse_date


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.migrationpolicy.org/research/x", "https://migrationpolicy.org/research/x"),
        ("http://migrationpolicy.org/research/x/", "https://migrationpolicy.org/research/x"),
        (
            "https://www.migrationpolicy.org/research/x?utm_source=tw&utm_medium=s",
            "https://migrationpolicy.org/research/x",
        ),
        ("https://www.migrationpolicy.org/research/x#top", "https://migrationpolicy.org/research/x"),
        ("https://WWW.MigrationPolicy.org/research/x?page=2", "https://migrationpolicy.org/research/x?page=2"),
    ],
)
def test_canonical_url_folds_variants(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-04-25T09:00:00-04:00", "2024-04-25"),
        ("2024-04-25", "2024-04-25"),
        ("Thu, 25 Apr 2024 10:00:00 +0000", "2024-04-25"),
        ("September 25, 2014", "2014-09-25"),
        ("25 April 2024", "2024-04-25"),
        ("April 2024", "2024-04-01"),
        ("2024-02-30", None),
        ("", None),
        ("no date here", None),
    ],
)
def test_parse_date(text: str, expected: str | None) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (["By Kathleen Newland and Andrew Selee"], ["Kathleen Newland", "Andrew Selee"]),
        (["Meghan Benton, Senior Policy Analyst"], ["Meghan Benton"]),
        (["Camille Le Coz; Hanne Beirens", "Camille Le Coz"], ["Camille Le Coz", "Hanne Beirens"]),
        (["Email the author"], []),
        (["Migration Policy Institute"], []),
        (["By Perry Bacon Jr. and Ana Li.", "Mary J."], ["Perry Bacon Jr.", "Ana Li", "Mary J."]),
        # Byline lead-ins in German, French, Spanish, and WordPress's author-archive link.
        (["Von Vanessa Franke"], ["Vanessa Franke"]),
        (["Von Trapp"], ["Von Trapp"]),
        (["Artikel von Ana Pérez"], ["Ana Pérez"]),
        (["Zeige alle Beiträge von Petra Ruland"], ["Petra Ruland"]),
        (["View all posts by Daniel Lemire →"], ["Daniel Lemire"]),
        (["Par Jean Dupont", "Escrito por María López"], ["Jean Dupont", "María López"]),
        # An entity is decoded before the name is split at semicolons; quotes around the whole go.
        (["Redacci&oacute;n Diario Pagina Siete"], ["Redacción Diario Pagina Siete"]),
        (["'Luana Patriolino; Raphael Felice'"], ["Luana Patriolino", "Raphael Felice"]),
    ],
)
def test_clean_authors(raw: list[str], expected: list[str]) -> None:
    assert clean_authors(raw) == expected


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Global Mobility after the Pandemic | migrationpolicy.org", "Global Mobility after the Pandemic"),
        ("ODI | Migration and the future of care", "Migration and the future of care"),
        ("A title with no suffix", "A title with no suffix"),
    ],
)
def test_clean_title(title: str, expected: str) -> None:
    assert clean_title(title, ["Migration Policy Institute", "ODI"]) == expected


@pytest.mark.parametrize(
    "text", ["November 20, 2019 12:32", "19 Nov 2019 07:09 GMT", "November 19, 2019, 07:47 PM EST"]
)
def test_parse_date_reads_dates_with_times(text: str) -> None:
    assert parse_date(text) in {"2019-11-19", "2019-11-20"}


def test_clean_authors_drops_links_and_emails() -> None:
    assert clean_authors(["https://www.facebook.com/herrpfleger", "cipha[at]cipha.net", "Ana Pérez"]) == ["Ana Pérez"]


def test_clean_authors_strips_a_trailing_job_title() -> None:
    assert clean_authors(["Marta Foresti Senior Research Associate", "Amy Leach"]) == ["Marta Foresti", "Amy Leach"]


def test_clean_authors_drops_organisations() -> None:
    assert clean_authors(["Mixed Migration Centre", "ODI Human Mobility Initiative Team"]) == []
