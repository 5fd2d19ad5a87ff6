"""Configuration is validated on load, with errors that name the file, the source, the key and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from migdigest.config import ConfigError, load_config

GOOD = """
sources:
  demo:
    title: Demo
    base_url: https://www.example.org
    discovery:
      sitemaps: [/sitemap.xml]
    include: ['^/research/']
"""


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "sources.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def test_bundled_config_is_valid() -> None:
    config = load_config()
    assert "mpi" in config.sources
    assert config.sources["mpi"].base_url == "https://www.migrationpolicy.org"


def test_good_config_loads(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))
    assert config.source("demo").discovery.sitemaps == ["/sitemap.xml"]


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        (GOOD.replace("include:", "incude:"), ["sources.yaml", "'demo'", "incude", "spelling"]),
        (GOOD.replace("    title: Demo\n", ""), ["'demo'", "title", "add it"]),
        (GOOD.replace("https://www.example.org", "example.org"), ["base_url", "scheme and host"]),
        (GOOD.replace("'^/research/'", "'^/(research'"), ["include", "regular expression"]),
        (GOOD + "    discovery2: {}\n", ["discovery2"]),
        (
            GOOD.replace("sitemaps: [/sitemap.xml]", "listings: [{url: /l, item: 'div[[['}]"),
            ["discovery.listings.0.item", "CSS selector"],
        ),
        (GOOD + "    type_labels: {Reports: novel}\n", ["type_labels", "unknown type"]),
        (GOOD + "    url_types: [{pattern: '(', type: report}]\n", ["url_types.0.pattern", "regular expression"]),
        ("sources: [1, 2]\n", ["sources.yaml"]),
        ("bogus: 1\nsources: {}\n", ["bogus"]),
        ("sources:\n  a: {\n", ["not valid YAML"]),
    ],
)
def test_bad_config_names_file_source_key_and_fix(tmp_path: Path, text: str, needles: list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    for needle in needles:
        assert needle in str(info.value)


def test_unknown_source_lists_the_known_ones(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))
    with pytest.raises(ConfigError, match="configured sources: demo"):
        config.source("nope")
