"""What a model string may load: langchain: only chat-model classes from allowed modules, local
GGUF files only from allowed directories, neither in safe mode; allowlists only from the user's
own settings. Refusals happen before anything named is imported or called."""

from __future__ import annotations

import sys

import pytest
from click.testing import CliRunner

from playground.cli import cli
from playground.providers import ProviderError, get_model

PLANTED = """
from pathlib import Path
Path({marker!r}).write_text("imported")

def run(**options):
    Path({marker!r}).write_text("called")

class NotAChatModel:
    def __init__(self, **options):
        Path({marker!r}).write_text("built")
"""


@pytest.fixture
def planted(tmp_path, monkeypatch):
    """A module on sys.path that leaves a marker file when imported, called or built."""
    marker = tmp_path / "marker"
    (tmp_path / "planted_mod.py").write_text(PLANTED.format(marker=str(marker)))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "planted_mod", raising=False)
    return marker


@pytest.mark.parametrize("path", ["subprocess.Popen", "os.system", "builtins.exec"])
def test_non_langchain_callables_are_refused_in_one_line(path, tmp_path):
    marker = tmp_path / "pwned"
    with pytest.raises(ProviderError) as raised:
        get_model(f"langchain:{path}", args=["touch", str(marker)])
    message = str(raised.value)
    assert "\n" not in message and "is not an allowed module" in message
    assert "PLAYGROUND_LANGCHAIN_MODULES" in message
    assert not marker.exists()


def test_a_module_off_the_allowlist_is_never_imported(planted):
    with pytest.raises(ProviderError, match="planted_mod is not an allowed module"):
        get_model("langchain:planted_mod.run")
    assert not planted.exists() and "planted_mod" not in sys.modules


@pytest.mark.parametrize("attribute", ["run", "NotAChatModel"])
def test_an_allowed_module_still_builds_only_chat_model_classes(planted, monkeypatch, attribute):
    monkeypatch.setenv("PLAYGROUND_LANGCHAIN_MODULES", "planted_mod")
    with pytest.raises(ProviderError, match=f"{attribute} is not a langchain-core BaseChatModel"):
        get_model(f"langchain:planted_mod.{attribute}")
    assert planted.read_text() == "imported"  # imported as allowed, but nothing called


def test_the_settings_file_allows_modules_and_a_bad_file_is_one_line(tmp_path, monkeypatch):
    settings = tmp_path / "settings.toml"
    settings.write_text('langchain_modules = ["langchain_core.language_models"]\n')
    monkeypatch.setenv("PLAYGROUND_SETTINGS", str(settings))
    model = get_model(
        "langchain:langchain_core.language_models.fake_chat_models.FakeListChatModel",
        responses=["x"],
    )
    assert model.provider == "langchain"
    settings.write_text("langchain_modules = 3\n")
    with pytest.raises(ProviderError) as raised:
        get_model("langchain:langchain_core.language_models.FakeListChatModel")
    assert f"settings file {settings}: langchain_modules" in str(raised.value)
    assert "\n" not in str(raised.value)


@pytest.fixture
def gguf(tmp_path):
    """A file named like a model (never loaded here: building a model does not load it)."""
    allowed = tmp_path / "models"
    allowed.mkdir()
    (allowed / "tiny.gguf").write_bytes(b"GGUF")
    outside = tmp_path / "elsewhere.gguf"
    outside.write_bytes(b"GGUF")
    (allowed / "link.gguf").symlink_to(outside)
    return allowed


def test_local_files_load_only_from_allowed_directories(gguf, monkeypatch):
    with pytest.raises(ProviderError, match="not under an allowed model directory \\(none yet\\)"):
        get_model(f"local/{gguf / 'tiny.gguf'}")
    monkeypatch.setenv("PLAYGROUND_MODEL_DIRS", str(gguf))
    assert get_model(f"local/{gguf / 'tiny.gguf'}").path == gguf / "tiny.gguf"
    for escape in (gguf / "link.gguf", gguf / ".." / "elsewhere.gguf"):
        with pytest.raises(ProviderError, match="not under an allowed model directory"):
            get_model(f"local/{escape}")


def test_safe_mode_refuses_langchain_and_model_files_but_keeps_the_embedded_model(
    gguf, monkeypatch
):
    monkeypatch.setenv("PLAYGROUND_MODEL_DIRS", str(gguf))
    monkeypatch.setenv("PLAYGROUND_SAFE", "1")
    for model in (
        "langchain:langchain_core.language_models.fake_chat_models.FakeListChatModel",
        f"local/{gguf / 'tiny.gguf'}",
    ):
        with pytest.raises(ProviderError, match="safe mode is on"):
            get_model(model)
    assert get_model("local/smollm2").name == "smollm2"


def test_an_experiment_file_naming_popen_fails_the_run_in_one_line(tmp_path):
    marker = tmp_path / "pwned"
    experiment = tmp_path / "e.toml"
    experiment.write_text(
        f"""
name = "popen"
protocol = "debate"
dataset = "builtin:reading"
limit = 1
[roles.debater]
model = "langchain:subprocess.Popen"
init = {{ args = ["touch", "{marker}"] }}
[roles.judge]
model = "local/smollm2"
"""
    )
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "log.db"), "run", str(experiment)])
    assert result.exit_code == 2
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "subprocess is not an allowed module" in errors[0]
    assert not marker.exists()
