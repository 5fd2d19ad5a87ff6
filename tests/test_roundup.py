"""Weekly roundups: selection, folding of syndicated copies, summaries, rendering (golden files), archive, feed, CLI."""

from __future__ import annotations

import os
import re
import shutil
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import markupsafe
import pytest
import typer
from typer.testing import CliRunner

from cli.roundup import roundup as roundup_command
from migdigest.models import Publication, RunStats, RunStatus
from migdigest.paths import REPO_ROOT
from migdigest.teams import SavedSearch, Team, Teams, load_teams
from migdigest.yamlconf import ConfigError
from outputs import roundup as rd
from storage import Digest
from storage.search import build_match

GOLDEN = Path(__file__).parent / "fixtures" / "roundup"
FROZEN = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # Monday 07:00: week 2026-W47 (16-22 Nov) just ended
WEEK = rd.IsoWeek(2026, 47)
SEEN = "2026-11-19T03:00:00+00:00"  # the nightly crawl that first saw most of the week's publications
XSS_TITLE = "Why remittances hold up <script>alert('x')</script> & what comes next"

TEAMS_YAML = """
settings:
  public_url: https://digest.example.org/roundups
  digest_url: https://digest.example.org
  manage_address: digest-admin@example.org
  preferences_url: https://digest.example.org/teams/{team}
teams:
  protection:
    title: Protection team
    recipients: [protection@example.org, lead@example.org]
    topics: [asylum and protection]
    regions: [Europe]
    searches:
      - {name: pushbacks, query: pushback*}
  labour:
    title: Labour mobility team
    recipients: [labour@example.org]
    sources: [cgd]
    searches:
      - {name: remittances, query: remittance*}
  everything:
    title: Weekly digest
    recipients: [digest@example.org]
"""


def _pub(source: str, slug: str, title: str, **fields: object) -> Publication:
    url = f"https://{source}.example.org/{slug}"
    return Publication(source=source, url=url, canonical_url=url, title=title, **fields)  # type: ignore[arg-type]


def publications() -> list[Publication]:
    """The week's publications (and a few that must stay out), with everything a roundup shows."""
    return [
        _pub(
            "mpi",
            "asylum-processing",
            "Rethinking Asylum Processing at Europe's Borders",
            published="2026-11-18",
            doc_type="report",
            authors=["Hanne Beirens", "Camille Le Coz"],
            summary=(
                "Screening at the external borders has become the centrepiece of EU reform. This report reviews"
                " how the new procedures work in Greece, Italy and Spain. It finds long waits and uneven legal"
                " aid. A fourth sentence that the roundup leaves out."
            ),
            body="Full text of the report.",
            topics=["Asylum and protection", "Border policy"],
            regions=["Europe"],
            pdf_url="https://mpi.example.org/sites/default/files/asylum-processing.pdf",
        ),
        _pub(
            "odi",
            "remittances",
            XSS_TITLE,
            published="2026-11-20",
            doc_type="commentary",
            authors=["Amy Leach"],
            body=(
                "Expert comment\n"
                "Remittances to low-income countries rose again in 2026, despite higher transfer costs. "
                "Families in Somalia and Nepal depend on them for food and school fees. "
                "Yet policy makers rarely count them as development finance. "
                "This comment explains why that should change."
            ),
            topics=["Remittances"],
            regions=["Africa", "South Asia"],
            pdf_url="javascript:alert(3)",
        ),
        _pub(
            "cgd",
            "labor-pathways",
            "Labor Pathways for Climate-Affected Workers",
            published="2026-11-17",
            doc_type="policy brief",
            authors=["Helen Dempster", "Reva Resstack"],
            summary="Climate change will reshape labour markets. Legal pathways can help workers adapt.",
            body="Body of the brief.",
            topics=["Labour migration", "Climate and displacement"],
            regions=["Latin America and the Caribbean"],
            pdf_url="https://cgd.example.org/files/labor-pathways.pdf",
        ),
        _pub(  # a syndicated copy of the brief above: shown once, under the original
            "mpi",
            "labor-pathways-copy",
            "Labor Pathways for Climate-Affected Workers",
            published="2026-11-19",
            doc_type="policy brief",
            summary="Climate change will reshape labour markets. Legal pathways can help workers adapt.",
            body="Body of the brief.",
            topics=["Labour migration"],
        ),
        _pub(  # no date: first seen this week
            "odi",
            "self-reliance-jordan",
            "Refugee Self-Reliance in Jordan: Evidence from Five Years",
            doc_type="working paper",
            authors=["Kerrie Holloway"],
            summary="Work permits helped, but few refugees found formal jobs. Women faced the highest barriers.",
            body="Body.",
            topics=["Asylum and protection"],
            regions=["Middle East"],
        ),
        _pub(  # only the team's saved search finds it
            "mpi",
            "greek-border",
            "What Happens at the Greek Land Border",
            published="2026-11-21",
            doc_type="commentary",
            body="Reports of pushbacks along the Evros river continue. Monitors document dozens each month.",
        ),
        _pub(  # a month-precise date, first seen within that month and this week: in
            "mpi",
            "month-dated",
            "Migration Data Brief for November",
            published="2026-11",
            doc_type="article",
            body="A short data brief. It has no day in its date. The crawl saw it this week.",
            topics=["Data and statistics"],
        ),
        _pub("mpi", "last-week", "Published the Week Before", published="2026-11-13", body="Old news."),
        _pub(  # back catalogue first crawled this week: out
            "cgd", "old-paper", "A Paper from 2019", published="2019", body="First crawled this week, but old."
        ),
    ]


def build_digest(path: Path) -> Path:
    """The fixed digest of week 2026-W47 built through Digest.store(), with clusters and crawl runs."""
    with Digest(path) as db:
        db.upsert_source("mpi", "Migration Policy Institute", "https://mpi.example.org")
        db.upsert_source("odi", "ODI (Human Mobility Initiative)", "https://odi.example.org")
        db.upsert_source("cgd", "Center For Global Development", "https://cgd.example.org")
        pubs = publications()
        db.store(pubs[:-2], SEEN)
        db.store(pubs[-2:-1], "2026-11-13T03:00:00+00:00")
        db.store(pubs[-1:], "2026-11-18T03:00:00+00:00")
        db.set_clusters({"https://cgd.example.org/labor-pathways": 1, "https://mpi.example.org/labor-pathways-copy": 1})
        runs: tuple[tuple[str, str, RunStatus], ...] = (
            ("mpi", "2026-11-18T02:00:00+00:00", "ok"),
            ("odi", "2026-11-18T02:00:00+00:00", "blocked"),
            ("cgd", "2026-11-20T02:00:00+00:00", "failed"),
            ("cgd", "2026-11-21T02:00:00+00:00", "ok"),
            ("odi", "2026-11-24T02:00:00+00:00", "blocked"),  # next week: not this roundup's business
        )
        for source, started, status in runs:
            run = db.start_run(source, started)
            db.finish_run(run, RunStats(source=source, started=started, status=status, finished=started))
    return path


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> datetime:
    monkeypatch.setattr(rd, "clock", lambda: FROZEN)
    return FROZEN


@pytest.fixture(scope="module")
def digest_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_digest(tmp_path_factory.mktemp("roundup") / "digest.db")


@pytest.fixture
def db(digest_path: Path) -> Iterator[Digest]:
    with Digest(digest_path) as digest:
        yield digest


@pytest.fixture(scope="module")
def config_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled sources configuration with the test's teams.yaml."""
    folder = tmp_path_factory.mktemp("config")
    shutil.copy(REPO_ROOT / "config" / "sources.yaml", folder / "sources.yaml")
    shutil.copytree(REPO_ROOT / "config" / "sources.d", folder / "sources.d")
    (folder / "teams.yaml").write_text(TEAMS_YAML, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def teams(config_dir: Path) -> Teams:
    return rd.load_team_config(config_dir)


def _titles(roundup: rd.Roundup) -> list[str]:
    return sorted(item.title for item in roundup.items)


# --- weeks and summaries ----------------------------------------------------------------------------------


def test_iso_weeks() -> None:
    week = rd.IsoWeek.parse("2026-W47")
    assert (week.start.isoformat(), week.end.isoformat(), week.label) == ("2026-11-16", "2026-11-23", "2026-W47")
    assert week.dates == "16–22 November 2026"
    assert rd.IsoWeek.parse("2020-W53").start.isoformat() == "2020-12-28"
    assert rd.IsoWeek.parse("2020-W53").dates == "28 December 2020 – 3 January 2021"
    assert rd.IsoWeek(2026, 49).dates == "30 November – 6 December 2026"
    assert rd.IsoWeek.last_complete(FROZEN) == WEEK
    assert rd.IsoWeek.last_complete(datetime(2026, 11, 22, 23, 59, tzinfo=UTC)) == rd.IsoWeek(2026, 46)
    for bad in ("2026-47", "2026-W5", "2026-W00", "2026-W54", "2021-W53", "W47", ""):
        with pytest.raises(rd.WeekError, match=r"ISO week|has weeks"):
            rd.IsoWeek.parse(bad)


@pytest.mark.parametrize(
    ("summary", "body", "expected"),
    [
        ("One. Two. Three. Four.", "", "One. Two. Three."),
        ("", "Heading\nFirst sentence here. Second one! Third? Fourth.", "First sentence here. Second one! Third?"),
        ("The U.S. Congress acted. Then it stopped. Then again. No more.", "", "The U.S. Congress acted. Then it"
         " stopped. Then again."),
        ("A" * 300 + ". " + "B" * 10 + ". Third.", "", "A" * 300 + ". " + "B" * 10 + "."),
        ("word " * 200, "", ("word " * 200)[:600].rsplit(" ", 1)[0] + "…"),
        ("", "", ""),
    ],
)  # fmt: skip
def test_summaries_are_two_or_three_sentences(summary: str, body: str, expected: str) -> None:
    assert rd.summarise(summary, body) == expected


def test_only_web_links_are_kept() -> None:
    assert rd.safe_url("javascript:alert(1)") == ""
    assert rd.safe_url("https://x.org/a b<c>") == "https://x.org/a%20b%3Cc%3E"
    assert rd.safe_url(None) == ""


# --- selection ----------------------------------------------------------------------------------------------


def test_week_selection_rules(db: Digest, teams: Teams) -> None:
    roundup = rd.build_roundup(db, teams.team("everything"), WEEK, now=FROZEN)
    assert _titles(roundup) == sorted(
        [
            "Rethinking Asylum Processing at Europe's Borders",
            XSS_TITLE,
            "Labor Pathways for Climate-Affected Workers",  # once, though two sources carry it
            "Refugee Self-Reliance in Jordan: Evidence from Five Years",
            "What Happens at the Greek Land Border",
            "Migration Data Brief for November",
        ]
    )
    assert roundup.copies_folded == 1
    brief = next(i for i in roundup.items if i.title.startswith("Labor Pathways"))
    assert (brief.source, brief.also_published_by) == ("cgd", ["Migration Policy Institute"])
    undated = next(i for i in roundup.items if i.title.startswith("Refugee Self-Reliance"))
    assert undated.date == "2026-11-19"  # first seen


def test_team_criteria_match_any_of_topics_regions_sources_searches(db: Digest, teams: Teams) -> None:
    protection = rd.build_roundup(db, teams.team("protection"), WEEK, now=FROZEN)
    assert _titles(protection) == [
        "Refugee Self-Reliance in Jordan: Evidence from Five Years",  # topic (matched ignoring case)
        "Rethinking Asylum Processing at Europe's Borders",  # topic and region
        "What Happens at the Greek Land Border",  # saved search only
    ]
    labour = rd.build_roundup(db, teams.team("labour"), WEEK, now=FROZEN)
    assert _titles(labour) == ["Labor Pathways for Climate-Affected Workers", XSS_TITLE]  # source, search
    assert [n.source for n in labour.health] == ["cgd"]  # its sources only


def test_sections_headline_and_health(db: Digest, teams: Teams) -> None:
    roundup = rd.build_roundup(db, teams.team("everything"), WEEK, now=FROZEN)
    assert roundup.sections[0].title == "Asylum and protection"
    assert roundup.sections[0].count == 2
    assert roundup.sections[-1].title == rd.OTHER_TOPIC
    assert roundup.headline == (
        "6 publications from 3 sources: 2 commentaries, 1 article, 1 policy brief, 1 report and 1 working paper."
    )
    assert roundup.top_topics[0] == ("Asylum and protection", 2)
    assert [(n.source, n.status, n.bad_runs, n.runs) for n in roundup.health] == [
        ("cgd", "failed", 1, 2),
        ("odi", "blocked", 1, 1),
    ]
    assert roundup.runs == 4


def test_items_say_why_and_sit_once_under_their_strongest_match(db: Digest, teams: Teams) -> None:
    protection = rd.build_roundup(db, teams.team("protection"), WEEK, now=FROZEN)
    assert [(s.title, [i.title for i in s.items]) for s in protection.sections] == [
        ("Search: pushbacks", ["What Happens at the Greek Land Border"]),
        (
            "Topic: Asylum and protection",  # as the taxonomy spells it, though teams.yaml says "asylum and ..."
            [
                "Refugee Self-Reliance in Jordan: Evidence from Five Years",
                "Rethinking Asylum Processing at Europe's Borders",
            ],
        ),
    ]
    both = protection.sections[1].items[1]
    assert (both.why, both.also) == ("Topic: Asylum and protection", ["Region: Europe"])
    assert both.why_line == "Why: Topic: Asylum and protection; also Region: Europe"
    labour = rd.build_roundup(db, teams.team("labour"), WEEK, now=FROZEN)
    assert [(s.title, s.count) for s in labour.sections] == [
        ("Search: remittances", 1),
        ("Source: Center For Global Development", 1),  # a followed source: the weakest reason
    ]
    # A saved search outranks a topic, which outranks a region: the report sits under the search, once.
    team = Team(
        name="x",
        topics=["Asylum and protection"],
        regions=["Europe"],
        searches=[SavedSearch(name="screening", query="screening")],
    )
    roundup = rd.build_roundup(db, team, WEEK, now=FROZEN)
    assert [s.title for s in roundup.sections] == ["Search: screening", "Topic: Asylum and protection"]
    [report] = roundup.sections[0].items
    assert report.title == "Rethinking Asylum Processing at Europe's Borders"
    assert report.also == ["Topic: Asylum and protection", "Region: Europe"]
    assert sum(i.id == report.id for i in roundup.items) == 1


def test_the_digest_link_is_the_publication_page_in_datasette(digest_path: Path, db: Digest, teams: Teams) -> None:
    from outputs.datasette import running_datasette

    roundup = rd.build_roundup(db, teams.team("protection"), WEEK, now=FROZEN, settings=teams.settings)
    with running_datasette(digest_path) as base:
        for item in roundup.items:
            assert item.digest_page.startswith(teams.settings.digest_url + "/")
            url = base + item.digest_page.removeprefix(teams.settings.digest_url)
            with urllib.request.urlopen(url, timeout=30) as response:
                page = response.read().decode("utf-8")
            assert str(markupsafe.escape(item.title)) in page  # the publication's own page, not a listing


def test_a_week_of_many_items_opens_with_contents(db: Digest, teams: Teams) -> None:
    everything = rd.build_roundup(db, teams.team("everything"), WEEK, now=FROZEN, settings=teams.settings)
    protection = rd.build_roundup(db, teams.team("protection"), WEEK, now=FROZEN, settings=teams.settings)
    assert (len(everything.items), everything.show_contents) == (6, True)  # contents_from: 6 by default
    assert (len(protection.items), protection.show_contents) == (3, False)
    for roundup in (everything, protection):
        rendered = rd.render(roundup)
        assert ("In this roundup" in rendered.html) is roundup.show_contents
        assert ("In this roundup" in rendered.txt) is roundup.show_contents


def test_plain_text_reads_at_76_columns_with_whole_urls(db: Digest, teams: Teams) -> None:
    for name in ("everything", "protection", "labour"):
        roundup = rd.build_roundup(db, teams.team(name), WEEK, now=FROZEN, settings=teams.settings)
        text = rd.render(roundup).txt
        for line in text.splitlines():
            assert len(line) <= 76 or len(line.split()) == 1, line  # only a URL alone on its line may be longer
        for item in roundup.items:
            for url in (item.url, item.pdf_url, item.digest_page):
                assert not url or f"\n  {url}\n" in text  # never broken, on a line of its own
        assert f"\n{roundup.unsubscribe_link}\n" in text


def test_markdown_links_render_as_links(db: Digest, teams: Teams) -> None:
    from markdown_it import MarkdownIt

    roundup = rd.build_roundup(db, teams.team("protection"), WEEK, now=FROZEN, settings=teams.settings)
    md = rd.render(roundup).md
    assert "(<" not in md
    html = MarkdownIt().render(md)
    hrefs = re.findall(r'href="([^"]*)"', html)
    for item in roundup.items:
        assert html.count(f'href="{item.url}"') == 2  # the title and "Read online"
        assert f'href="{item.digest_page}"' in html
    assert "https://mpi.example.org/sites/default/files/asylum-processing.pdf" in hrefs
    assert "mailto:digest-admin@example.org?subject=Unsubscribe%20protection" in hrefs
    assert "https://digest.example.org/teams/protection" in hrefs
    weird = rd.Item(
        id=9, title="t", url="https://x.org/a_(b)", pdf_url="", source="s", source_title="S", doc_type="report",
        date="2026-11-18", authors=[], summary="", topics=[], regions=[],
    )  # fmt: skip
    odd = rd.Roundup(team=roundup.team, generated=FROZEN, sections=[rd.Section("Topic: x", [weird])], week=WEEK)
    assert 'href="https://x.org/a_%28b%29"' in MarkdownIt().render(rd.render(odd).md)


def test_every_mail_names_what_the_team_follows_and_how_to_leave(db: Digest, teams: Teams) -> None:
    roundup = rd.build_roundup(db, teams.team("protection"), WEEK, now=FROZEN, settings=teams.settings)
    rendered = rd.render(roundup)
    follows = "which follows Search: pushbacks, Topic: asylum and protection, Region: Europe."
    assert follows in " ".join(rendered.txt.split())
    assert follows in rendered.html
    for text in (rendered.html, rendered.md, rendered.txt):
        assert "https://digest.example.org/teams/protection" in text
        assert "mailto:digest-admin@example.org?subject=Unsubscribe%20protection" in text
    bare = rd.build_roundup(db, teams.team("protection"), WEEK, now=FROZEN)  # nothing configured
    assert (bare.unsubscribe_link, bare.preferences_link) == ("", "")
    assert 'reply with "unsubscribe"' in rd.render(bare).txt
    assert bare.list_unsubscribe("digest@example.org") == (
        "<mailto:digest@example.org?subject=Unsubscribe%20protection>",
        False,
    )


# --- rendering: golden files --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("team", "week"),
    [("everything", WEEK), ("protection", WEEK), ("labour", WEEK), ("everything", rd.IsoWeek(2026, 30))],
)
def test_rendered_roundup_matches_golden_files(
    db: Digest, teams: Teams, team: str, week: rd.IsoWeek, update_golden: bool
) -> None:
    rendered = rd.render(rd.build_roundup(db, teams.team(team), week, now=FROZEN, settings=teams.settings))
    for fmt in rd.FORMATS:
        golden = GOLDEN / f"{team}-{week.label}.{fmt}"
        if update_golden:
            golden.parent.mkdir(parents=True, exist_ok=True)
            golden.write_text(rendered.get(fmt), encoding="utf-8", newline="")
        assert rendered.get(fmt) == golden.read_text(encoding="utf-8"), f"{golden} differs (--update-golden)"


def test_markup_in_titles_is_escaped_everywhere(db: Digest, teams: Teams) -> None:
    rendered = rd.render(rd.build_roundup(db, teams.team("everything"), WEEK, now=FROZEN))
    for text in (rendered.html, rendered.fragment):
        assert "<script" not in text.lower()
        assert "javascript:" not in text
        assert "Why remittances hold up &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; what" in text
    assert r"Why remittances hold up \<script\>alert('x')\</script\> \& what comes next" in rendered.md
    assert XSS_TITLE in rendered.txt  # plain text shows it as it is: nothing interprets it
    assert "javascript:" not in rendered.md + rendered.txt


def test_html_is_email_safe(db: Digest, teams: Teams) -> None:
    roundup = rd.build_roundup(db, teams.team("everything"), WEEK, now=FROZEN, settings=teams.settings)
    html = rd.render(roundup).html
    assert "<style" not in html
    assert "<link" not in html
    assert "<img" not in html
    assert "<script" not in html
    assert " class=" not in html
    assert html.count("<table") >= 2
    assert 'style="' in html
    # Fluid up to 640 px, with a fixed-width table only for Outlook on Windows (which ignores max-width).
    assert '<div style="max-width:640px;margin:0 auto;">' in html
    assert '<!--[if mso]><table role="presentation" width="640"' in html
    assert not re.search(r"(?<!max-)width:\s*[3-9]\d\dpx", html)  # no fixed pixel width outside MSO comments
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert hrefs
    anchors = {h[1:] for h in hrefs if h.startswith("#")}
    assert anchors == set(re.findall(r' id="([^"]+)"', html))  # the contents point at sections and items
    mailto = [h for h in hrefs if h.startswith("mailto:")]
    assert mailto == ["mailto:digest-admin@example.org?subject=Unsubscribe%20everything"]
    assert all(h.startswith(("https://", "#", "mailto:")) for h in hrefs)
    # The preheader is the first thing in the body, hidden, and says what the mail holds.
    body = html.split("<body", 1)[1]
    assert body.split(">", 2)[1].startswith('\n<div style="display:none;')
    assert roundup.preheader.startswith("6 publications from 3 sources")
    assert str(markupsafe.escape(roundup.preheader)) in html


def test_an_empty_week_is_a_short_roundup(db: Digest, teams: Teams) -> None:
    roundup = rd.build_roundup(db, teams.team("protection"), rd.IsoWeek(2026, 30), now=FROZEN)
    assert roundup.empty
    assert roundup.items == []
    assert roundup.headline == "Nothing new this week."
    assert roundup.subject.endswith(": nothing new")
    rendered = rd.render(roundup)
    assert "Nothing new this week." in rendered.txt
    assert "no crawl ran this week" in rendered.txt.lower()


# --- archive and Atom feed ----------------------------------------------------------------------------------


def test_archive_and_feed(db: Digest, teams: Teams, tmp_path: Path) -> None:
    team = teams.team("everything")
    first = rd.produce(db, team, WEEK, tmp_path, teams.settings, now=FROZEN)
    assert first.files == {fmt: tmp_path / "roundups" / "everything" / f"2026-W47.{fmt}" for fmt in rd.FORMATS}
    assert first.files["html"].read_text(encoding="utf-8") == first.rendered.html
    rd.produce(db, team, rd.IsoWeek(2026, 46), tmp_path, teams.settings, now=FROZEN)
    rd.produce(db, team, WEEK, tmp_path, teams.settings, now=FROZEN)  # again: replaces its entry
    feed = feedparser.parse(first.feed.read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.title == "Weekly digest: weekly roundups"
    assert [e.id for e in feed.entries] == [
        "urn:migdigest:roundup:everything:2026-W47",
        "urn:migdigest:roundup:everything:2026-W46",
    ]
    entry = feed.entries[0]
    assert entry.link == "https://digest.example.org/roundups/everything/2026-W47.html"
    assert entry.summary.startswith("6 publications from 3 sources")
    assert "Rethinking Asylum Processing" in entry.content[0].value
    assert "<script" not in entry.content[0].value
    assert entry.updated == "2026-11-23T07:00:00Z"
    assert sorted(p.name for p in first.feed.parent.iterdir()) == [
        "2026-W46.html", "2026-W46.md", "2026-W46.txt", "2026-W47.html", "2026-W47.md", "2026-W47.txt", "feed.atom",
    ]  # fmt: skip


def test_feed_keeps_the_newest_weeks(db: Digest, config_dir: Path, tmp_path: Path) -> None:
    teams = load_teams(config_dir)
    settings = teams.settings.model_copy(update={"feed_weeks": 2})
    for week in (44, 45, 46, 47):
        rd.produce(db, teams.team("labour"), rd.IsoWeek(2026, week), tmp_path, settings, now=FROZEN)
    feed = feedparser.parse((tmp_path / "roundups" / "labour" / "feed.atom").read_bytes())
    assert [e.id.rsplit(":", 1)[1] for e in feed.entries] == ["2026-W47", "2026-W46"]


# --- configuration ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("teams:\n  a:\n    topic: [x]\n", "team 'a', key 'topic': remove it or check its spelling"),
        ("teams:\n  a:\n    recipients: [not-an-address]\n", "team 'a', key 'recipients': 'not-an-address' is not"),
        ("teams:\n  A B:\n    recipients: []\n", "team 'A B', key 'name': use lower-case letters"),
        ("teams:\n  a:\n    searches: [{name: s, query: '\"\"'}]\n", "key 'searches.0.query': Nothing to search"),
        ("teams:\n  a:\n    sources: [mip]\n", "team 'a', key 'sources.0': unknown source 'mip' (did you mean 'mpi'?)"),
        ("teams: {}\n", "add at least one team"),
        ("team:\n  a: {}\n", "unknown top-level key(s) ['team']"),
        ("settings: {public_url: ftp://x}\nteams:\n  a: {}\n", "key 'settings.public_url': must be an absolute"),
    ],
)
def test_team_config_errors_name_file_team_key_and_fix(tmp_path: Path, yaml_text: str, message: str) -> None:
    (tmp_path / "teams.yaml").write_text(yaml_text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_teams(tmp_path, known_sources=["mpi", "odi", "cgd"], check_query=build_match)
    assert str(tmp_path / "teams.yaml") in str(info.value)
    assert message in str(info.value)


def test_the_roundup_loader_checks_saved_searches(tmp_path: Path) -> None:
    """The core leaves the query syntax to the search layer; teams loaded for a roundup are checked against it."""
    shutil.copy(REPO_ROOT / "config" / "sources.yaml", tmp_path / "sources.yaml")
    shutil.copytree(REPO_ROOT / "config" / "sources.d", tmp_path / "sources.d")
    (tmp_path / "teams.yaml").write_text("teams:\n  a:\n    searches: [{name: s, query: '\"\"'}]\n", encoding="utf-8")
    assert load_teams(tmp_path).team("a").searches[0].query == '""'
    with pytest.raises(ConfigError) as info:
        rd.load_team_config(tmp_path)
    assert f"{tmp_path / 'teams.yaml'}: team 'a', key 'searches.0.query': Nothing to search" in str(info.value)
    assert "write words, a quoted phrase, OR, or prefix*" in str(info.value)


def test_bundled_teams_config_is_valid() -> None:
    teams = rd.load_team_config()
    assert teams.teams
    assert all(t.recipients for t in teams.teams.values())
    with pytest.raises(ConfigError, match="no team named 'protectoin' \\(did you mean 'protection'\\?\\)"):
        teams.team("protectoin")


def test_unknown_topics_are_errors_when_there_is_a_taxonomy(tmp_path: Path) -> None:
    (tmp_path / "teams.yaml").write_text("teams:\n  a:\n    topics: [Asylum & protection]\n", encoding="utf-8")
    with pytest.raises(
        ConfigError,
        match=re.escape("key 'topics.0': unknown topic 'Asylum & protection' (did you mean 'Asylum and protection'?)"),
    ):
        load_teams(tmp_path, known_topics=["Asylum and protection", "Remittances"])


# --- CLI --------------------------------------------------------------------------------------------------


def _cli() -> typer.Typer:
    app = typer.Typer()
    app.command()(roundup_command)

    @app.callback()
    def main() -> None:
        """Keep `roundup` a subcommand, as in migdigest."""

    return app


def test_cli_builds_last_complete_week(frozen: datetime, digest_path: Path, config_dir: Path, tmp_path: Path) -> None:
    args = ["roundup", "--db", str(digest_path), "--out-dir", str(tmp_path), "--config-dir", str(config_dir)]
    result = CliRunner().invoke(_cli(), args)
    assert result.exit_code == 0, result.output
    assert "everything: 2026-W47, 6 publications" in result.output
    for team in ("protection", "labour", "everything"):
        assert (tmp_path / "roundups" / team / "2026-W47.html").exists()
        assert (tmp_path / "roundups" / team / "feed.atom").exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--week", "2026-47"], "'2026-47' is not an ISO week; write it as YYYY-Www"),
        (["--week", "2026-W60"], "2026 has weeks 01 to 53"),
        (["--team", "nobody"], "no team named 'nobody'"),
    ],
)
def test_cli_rejects_bad_week_and_unknown_team(
    extra: list[str], message: str, digest_path: Path, config_dir: Path, tmp_path: Path
) -> None:
    args = ["roundup", *extra, "--db", str(digest_path), "--out-dir", str(tmp_path), "--config-dir", str(config_dir)]
    result = CliRunner().invoke(_cli(), args)
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    assert not (tmp_path / "roundups").exists()


# --- a real browser renders the HTML roundup ----------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]  # fmt: skip


def test_html_roundup_is_fluid_from_1280_to_320_px_in_chromium(db: Digest, teams: Teams, tmp_path: Path) -> None:
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (`make test` does)", pytrace=False)
    from playwright.sync_api import Dialog, sync_playwright

    # The protection team's week, with contents: every part of the mail (contents, sections, why, links, footer).
    settings = teams.settings.model_copy(update={"contents_from": 2})
    archived = rd.produce(db, teams.team("protection"), WEEK, tmp_path, settings, now=FROZEN)
    assert archived.roundup.show_contents
    shots = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for width in (1280, 375, 320):
                page = browser.new_page(viewport={"width": width, "height": 800})
                dialogs: list[str] = []

                def on_dialog(dialog: Dialog, seen: list[str] = dialogs) -> None:
                    seen.append(dialog.message)
                    dialog.dismiss()

                page.on("dialog", on_dialog)
                page.goto(archived.files["html"].as_uri())
                shots[width] = tmp_path / f"roundup-{width}.png"
                page.screenshot(path=str(shots[width]), full_page=True)
                assert page.title() == archived.roundup.subject
                assert page.locator("h3").count() == len(archived.roundup.items)
                assert dialogs == []
                assert not page.locator("body > div").first.is_visible()  # the preheader: for the inbox only
                assert archived.roundup.preheader not in page.inner_text("body")
                # No horizontal scroll: the page is never wider than the screen.
                assert page.evaluate("document.documentElement.scrollWidth") <= width
                card = page.evaluate("document.querySelector('table table').getBoundingClientRect().width")
                if width >= 700:
                    assert card == 640  # the newsletter's column, centred
                else:
                    assert width - 20 <= card <= width  # the full screen less the outer margin
                for box in page.evaluate(
                    "[...document.querySelectorAll('h3 a, p, h2')].map(e => e.getBoundingClientRect().right)"
                ):
                    assert box <= width  # nothing sticks out of the screen
                page.close()
        finally:
            browser.close()
    print("\nroundup screenshots: " + ", ".join(str(path) for path in shots.values()))
    assert all(path.stat().st_size > 10_000 for path in shots.values())
