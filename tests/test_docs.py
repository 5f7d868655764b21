"""The documentation site builds with `mkdocs build --strict` (a broken link, anchor or nav entry
fails `make test`), and its command-line page, generated from `playground.cli`, names every
command."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from playground.cli import cli

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The site built once, strictly, into a temporary folder (never into the checkout)."""
    pytest.importorskip("mkdocs", reason="mkdocs comes with the dev extra")
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    command = [sys.executable, "-m", "mkdocs", "build", "--strict"]
    command += ["--config-file", str(ROOT / "mkdocs.yml"), "--site-dir", str(out)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stdout}{done.stderr}"
    return out


def command_paths(group: click.Group, prefix: str = "playground") -> Iterator[str]:
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        path = f"{prefix} {name}"
        yield path
        if isinstance(command, click.Group):
            yield from command_paths(command, path)


def test_every_page_of_the_nav_is_built(site):
    for page in ("index.html", "getting-started/index.html", "reference/cli/index.html"):
        assert (site / page).is_file(), page
    assert (site / "img" / "debate-page.png").is_file()


def test_the_cli_page_has_a_section_for_every_command(site):
    html = (site / "reference" / "cli" / "index.html").read_text()
    headings = set(re.findall(r'<h[2-6] id="([^"]+)"', html))
    paths = list(command_paths(cli))
    assert len(paths) > 10 and "playground prompts ab" in paths
    missing = [p for p in paths if p.replace(" ", "-") not in headings]
    assert not missing, f"commands missing from docs/reference/cli.md: {missing}"
    for option in ("--resume", "--no-cache", "--approvals", "--at-turn", "--csv-dir"):
        assert option in html  # options come from the click declarations too


def test_the_built_pages_load_nothing_from_the_network(site):
    """Material's Google Fonts link is off (`font: false`), and no plugin adds remote assets."""
    for page in site.rglob("*.html"):
        text = page.read_text()
        assert "fonts.googleapis.com" not in text, page
        assert not re.search(r'<(?:script|link)[^>]+(?:src|href)="https?://', text), page
