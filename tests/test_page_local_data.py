"""Local dataset files on the pages (`AppTest`): the Debate page lists the files under the
allowed data directories, guesses their format, loads a QuALITY file's questions and debates
one against the loopback server; a typed path outside the directories is refused in one line,
and with none allowed the page says where to allow one."""

from __future__ import annotations

from test_datasets_access import write_quality
from test_pages import FAKE_KEY, TIMEOUT, debater_or_judge, open_app, use_server

from playground.datasets.access import JSONL


def local(at):
    at.radio(key="source").set_value("Local file").run()
    assert not at.exception
    return at


def test_without_data_directories_the_page_says_how_to_allow_one(store):
    at = local(open_app())
    (info,) = [i.value for i in at.info if "No local dataset files" in i.value]
    assert "`PLAYGROUND_DATA_DIRS`" in info and "`data_dirs`" in info
    assert not [b for b in at.button if b.key == "run"]  # no item, so nothing to run
    assert not [s for s in at.selectbox if s.key == "local.file"]


def test_a_quality_file_from_a_data_directory(store, tmp_path, monkeypatch, openai_server):
    root = tmp_path / "data"
    root.mkdir()
    file = write_quality(root / "QuALITY.v1.0.1.htmlstripped.dev", questions=(1, 2, 3))
    (root / "items.jsonl").write_text("")
    outside = write_quality(tmp_path / "secret.dev")
    monkeypatch.setenv("PLAYGROUND_DATA_DIRS", str(root))
    at = local(open_app())
    picker = at.selectbox(key="local.file")
    assert picker.options == ["data/QuALITY.v1.0.1.htmlstripped.dev", "data/items.jsonl"]
    assert at.selectbox(key=f"local.format.{file}").value == "quality"
    ref = f"quality:{file}"
    items = at.selectbox(key=f"{ref}.item")
    assert [o.split(" · ")[0] for o in items.options] == [
        "52995_I3M5VUMM_1", "52995_I3M5VUMM_2", "52995_I3M5VUMM_3"]  # fmt: skip
    assert not at.error

    at.text_input(key="local.path").set_value(str(outside)).run()
    (error,) = [e.value for e in at.error]
    assert "is not under an allowed data directory" in error and "\n" not in error
    assert str(root) in error
    assert not [s for s in at.selectbox if s.key and s.key.endswith(".item")]

    at.text_input(key="local.path").set_value("").run()
    at.selectbox(key="local.file").set_value("data/items.jsonl").run()
    assert at.selectbox(key=f"local.format.{root / 'items.jsonl'}").value == JSONL
    assert [e.value for e in at.error] == [f"{root / 'items.jsonl'}: the file is empty"]

    at.selectbox(key="local.file").set_value("data/QuALITY.v1.0.1.htmlstripped.dev").run()
    at.selectbox(key=f"{ref}.item").set_value(items.options[1]).run()
    openai_server.responder = debater_or_judge
    use_server(at, openai_server.base_url)
    at.number_input(key="rounds").set_value(1)
    for field in at.text_input:
        if field.label.startswith("Key for "):
            field.set_value(FAKE_KEY)
    at.button(key="run").click().run(timeout=TIMEOUT)
    assert not at.exception and not at.error
    [run] = store.list_runs()
    assert run.dataset == ref and run.status == "done"
    [view] = store.transcripts_of(run.id)
    assert view.item.id == "52995_I3M5VUMM_2" and view.item.meta["article_id"] == "7"
    assert view.item.passage and len(view.item.answers) == 4
