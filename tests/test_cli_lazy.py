"""The CLI imports a command's module only when that command is used: ``--help``, ``runs``
and ``report --help`` load no pandas, LangChain, vendor SDK or (for the help) SQLAlchemy, and
the lazily built command list reads exactly like the eagerly built one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "langchain_core", "openai", "anthropic", "sqlalchemy", "inspect_ai", "plotly",
         "tenacity", "scipy")  # fmt: skip

PROBE = """
import json, sys
from playground.cli import cli
try:
    cli(sys.argv[1:], prog_name="playground")
except SystemExit:
    pass
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {heavy})), file=sys.stderr)
"""


def loaded(args: list[str], tmp_path: Path) -> tuple[str, list[str]]:
    env = {**os.environ, "PLAYGROUND_DB": str(tmp_path / "p.db")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    code = PROBE.format(heavy=set(HEAVY))
    done = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout, json.loads(done.stderr.strip().splitlines()[-1])


@pytest.mark.parametrize("args", [["--help"], ["report", "--help"], ["runs", "--help"]])
def test_help_imports_nothing_heavy(args, tmp_path):
    out, modules = loaded(args, tmp_path)
    assert "Usage: playground" in out
    assert modules == []


def test_runs_needs_only_the_store(tmp_path):
    out, modules = loaded(["runs"], tmp_path)
    assert out.strip() == "no runs yet"
    assert {m.split(".")[0] for m in modules} == {"sqlalchemy"}


def test_a_command_imports_its_module_when_run(tmp_path):
    out, modules = loaded(["--db", str(tmp_path / "p.db"), "report"], tmp_path)
    assert "pandas" in {m.split(".")[0] for m in modules}
    assert "0 verdicts" in out


def test_lazy_command_list_matches_the_commands_own_help():
    from playground.cli import COMMANDS, LazyGroup, cli

    lazy = CliRunner().invoke(cli, ["--help"], terminal_width=100).output
    eager = click.Group(cli.name, params=cli.params, help=cli.help, callback=cli.callback)
    eager.context_settings = cli.context_settings
    ctx = click.Context(cli)
    for name in COMMANDS:
        eager.add_command(LazyGroup.get_command(cli, ctx, name), name)
    assert lazy == CliRunner().invoke(eager, ["--help"], terminal_width=100).output
    assert sorted(COMMANDS) == cli.list_commands(ctx)


def test_rendering_a_prompt_loads_no_langchain_prompt_stack():
    # langchain-core's prompt classes pull its tracers and langsmith (about a second): a run
    # renders with its formatter only
    code = (
        "import json, sys\n"
        "from playground.prompts import get_prompt\n"
        "get_prompt('debate/judge').render(question='q', answer_a='a', answer_b='b',"
        " transcript='t')\n"
        "import playground\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith(('langchain_core.prompts',"
        " 'langsmith')))))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
