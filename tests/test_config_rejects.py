"""Configuration that cannot work is refused with the file, the key and the fix (issue 18, finding 11)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cli.app import app
from migdigest.config import ConfigError, load_config
from migdigest.paths import CONFIG_DIR


def folder(tmp_path: Path) -> Path:
    """A copy of the bundled configuration to break."""
    shutil.copy(CONFIG_DIR / "sources.yaml", tmp_path / "sources.yaml")
    shutil.copytree(CONFIG_DIR / "sources.d", tmp_path / "sources.d")
    shutil.copy(CONFIG_DIR / "taxonomy.yaml", tmp_path / "taxonomy.yaml")
    return tmp_path


def edit(path: Path, **changes: object) -> None:
    data = yaml.safe_load(path.read_text())
    (entry,) = data["sources"].values()
    entry.update(changes)
    path.write_text(yaml.safe_dump(data))


def sources_cli(config: Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["sources", "--config-dir", str(config)])
    return result.exit_code, " ".join(result.output.split())


def test_a_discovery_without_a_method_is_refused(tmp_path: Path) -> None:
    config = folder(tmp_path)
    edit(config / "sources.d" / "cgd.yaml", discovery={})
    with pytest.raises(ConfigError, match="name at least one of sitemaps, feeds or listings") as caught:
        load_config(config)
    assert f"{config / 'sources.d' / 'cgd.yaml'}: source 'cgd', key 'discovery'" in str(caught.value)
    code, output = sources_cli(config)
    assert code == 2
    assert "configuration valid" not in output


@pytest.mark.parametrize("mirror", ["http://127.0.0.1:8000", "https://www.cgdev.org/"])
def test_a_mirror_that_is_a_url_is_refused(tmp_path: Path, mirror: str) -> None:
    config = folder(tmp_path)
    edit(config / "sources.d" / "cgd.yaml", mirror=mirror)
    with pytest.raises(ConfigError, match=r"key 'mirror'.*not a bundled mirror's name.*--base-url"):
        load_config(config)


def test_a_mirror_that_is_not_bundled_is_refused(tmp_path: Path) -> None:
    config = folder(tmp_path)
    edit(config / "sources.d" / "cgd.yaml", mirror="cgdd")
    code, output = sources_cli(config)
    assert code == 2
    assert f"{config / 'sources.d' / 'cgd.yaml'}: source 'cgd', key 'mirror': 'cgdd' is not a bundled mirror" in output
    assert "use one of cgd," in output


@pytest.mark.parametrize("content", ["", "# emptied for now\n", "sources: {}\n", "settings: {}\n"])
def test_an_emptied_file_in_sources_d_is_an_error(tmp_path: Path, content: str) -> None:
    config = folder(tmp_path)
    (config / "sources.d" / "ecre.yaml").write_text(content)
    with pytest.raises(ConfigError, match=r"ecre\.yaml: no sources in this file; define one under 'sources:'"):
        load_config(config)
    code, output = sources_cli(config)
    assert code == 2
    assert "ecre.yaml: no sources in this file" in output


def test_the_bundled_configuration_is_valid(tmp_path: Path) -> None:
    code, output = sources_cli(folder(tmp_path))
    assert code == 0
    assert "5 source(s), configuration valid" in output
