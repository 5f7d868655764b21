"""inspect_ai is an optional extra (``oversight-playground[inspect]``): without it, exporting or
importing Inspect logs is a one-line error naming the install, and the Analysis page offers no
Inspect download but says what to install. Absence is made the way Python itself marks a
module unavailable (``sys.modules[name] = None``: every import of it fails)."""

from __future__ import annotations

import sys

import pytest
from analysis_fixtures import panel_records_for_page
from click.testing import CliRunner
from test_pages import single_page

from playground.cli import cli
from playground.export.extras import INSPECT_EXTRA, inspect_installed
from playground.store.importer import import_records


@pytest.fixture
def no_inspect(monkeypatch):
    monkeypatch.setitem(sys.modules, "inspect_ai", None)
    loaded = [n for n in sys.modules if n.startswith("inspect_ai.")]  # by earlier tests
    for name in [*loaded, "playground.export.inspect", "playground.export.inspect_log"]:
        monkeypatch.delitem(sys.modules, name, raising=False)  # imported afresh, and fail


def test_export_and_import_say_what_to_install(store, tmp_path, no_inspect):
    assert not inspect_installed()
    db = str(store.url.database)
    out = CliRunner().invoke(cli, ["--db", db, "export", "--format", "inspect", "--out",
                                   str(tmp_path / "logs")])  # fmt: skip
    assert out.exit_code == 1
    assert out.output.strip() == (
        "Error: writing Inspect eval logs needs inspect_ai, which is not installed: "
        f"{INSPECT_EXTRA} (or pip install inspect_ai)"
    )
    log = tmp_path / "run.eval"
    log.write_bytes(b"PK")
    out = CliRunner().invoke(cli, ["--db", db, "import", str(log)])
    assert out.exit_code == 2
    assert f"{log}: reading Inspect eval logs needs inspect_ai" in out.output
    assert "(nothing was imported)" in out.output and "Traceback" not in out.output
    assert store.list_runs() == []


def test_the_library_module_raises_the_same_one_line_error(no_inspect):
    from playground.export.extras import MissingExtra

    with pytest.raises(MissingExtra, match=r"^writing Inspect eval logs needs inspect_ai"):
        import playground.export.inspect  # noqa: F401


def test_the_analysis_page_without_inspect(store, tmp_path, no_inspect):
    import_records(store, panel_records_for_page())
    at = single_page(tmp_path, "analysis.py", "Analysis").run()
    assert not at.exception
    labels = [b.proto.label for b in at.get("download_button")]
    assert "JSONL" in labels and "Inspect logs (zip)" not in labels
    assert any(INSPECT_EXTRA in c.value for c in at.caption)


def test_with_inspect_installed_the_page_offers_the_logs(store, tmp_path):
    pytest.importorskip("inspect_ai")
    import_records(store, panel_records_for_page())
    at = single_page(tmp_path, "analysis.py", "Analysis").run()
    assert inspect_installed()
    assert "Inspect logs (zip)" in [b.proto.label for b in at.get("download_button")]
