"""Text from the digest or the configuration is printed as written, never read as Rich markup (issue 18, finding 8)."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner, Result

from cli.app import app
from extract.normalise import canonical_url
from migdigest.models import Publication, RunStats
from migdigest.paths import CONFIG_DIR
from storage import Digest

TITLE = "Closing the [/b] gap: [bold]asylum[/] [link=x]rules[/link]"
URL = "https://example.org/research/[/i]-asylum"


def invoke(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def digest(tmp_path: Path) -> Path:
    path = tmp_path / "digest.db"
    with Digest(path) as db:
        db.store(
            [
                Publication(
                    source="mpi", url=URL, canonical_url=canonical_url(URL), title=TITLE, body="asylum [/b] text"
                )
            ],
            "d1",
        )
        db.store(
            [
                Publication(
                    source="mpi", url=URL, canonical_url=canonical_url(URL), title=TITLE, body="asylum [/i] text"
                )
            ],
            "d2",
        )
        run = db.start_run("mpi", "2026-11-25T03:00:00+00:00")
        db.finish_run(run, RunStats(source="mpi", started="2026-11-25T03:00:00+00:00", status="failed",
                                    message="crawl died: [/red] KeyError"))  # fmt: skip
    return path


def flat(result: Result) -> str:
    return " ".join(result.output.split())


def test_search_and_history_print_titles_as_written(tmp_path: Path) -> None:
    db = digest(tmp_path)
    found = invoke("search", "asylum", "--db", str(db))
    assert found.exit_code == 0, found.output
    assert TITLE in found.output
    assert URL in found.output
    shown = invoke("history", URL, "--db", str(db))
    assert shown.exit_code == 0, shown.output
    assert TITLE in shown.output


def test_health_prints_messages_as_written(tmp_path: Path) -> None:
    result = invoke("health", "--db", str(digest(tmp_path)))
    assert result.exit_code == 1  # the failed run is an alert
    assert "crawl died: [/red] KeyError" in flat(result)


def test_sources_prints_config_text_as_written(tmp_path: Path) -> None:
    config = yaml.safe_load((CONFIG_DIR / "sources.d" / "mpi.yaml").read_text())
    config["sources"]["mpi"]["title"] = "MPI [/b] [bold]Institute[/]"
    (tmp_path / "sources.yaml").write_text(yaml.safe_dump(config))
    result = invoke("sources", "--config-dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "MPI [/b] [bold]Institute[/]" in result.output


def test_a_yaml_syntax_error_names_file_line_key_and_fix(tmp_path: Path) -> None:
    (tmp_path / "sources.yaml").write_text(
        "sources:\n  x:\n    title: X\n    base_url: https://x.org\n    discovery:\n"
        "      feeds: [/feed]\n     sitemaps: [/sitemap.xml]\n"
    )
    result = invoke("sources", "--config-dir", str(tmp_path))
    assert result.exit_code == 2
    text = flat(result)
    assert f"{tmp_path / 'sources.yaml'}: line 7, key 'sitemaps': not valid YAML" in text
    assert "'sitemaps: [/sitemap.xml]'" in text
    assert "fix: indent this key" in text
    assert "Traceback" not in result.output
