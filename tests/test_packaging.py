"""A wheel of the project, installed into a fresh venv, ships the prompt templates: loaded from
outside the source tree they are the same templates (same ids and hashes) as the checkout's."""

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from playground.prompts import load_prompts

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("playground", "prompts", "pyproject.toml", "setup.py", "README.md")

PROBE = """
import json, playground, playground.prompts as p
templates = p.load_prompts()
print(json.dumps({"package": playground.__file__, "dir": str(p.PROMPTS_DIR),
                  "hashes": {k: t.hash for k, t in templates.items()}}))
"""


@pytest.mark.slow
def test_a_wheel_install_loads_the_shipped_prompt_templates(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    for name in SOURCES:  # a clean copy: no stale build/ of the checkout gets into the wheel
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, source / name)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PLAYGROUND_PROMPTS")}
    wheels = tmp_path / "wheels"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "-w", wheels, source], check=True, env=env)
    (wheel,) = wheels.glob("oversight_playground-*.whl")

    fresh = tmp_path / "fresh"
    venv.create(fresh, with_pip=False)
    python = fresh / "bin" / "python"
    subprocess.run([*pip, "--python", python, "install", "--no-deps", wheel], check=True, env=env)
    # the wheel's dependencies come from this venv's site-packages, added after the fresh one's
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    ours = [p for p in sys.path if p.endswith("site-packages")]
    Path(site, "shared-venv.pth").write_text("\n".join(ours) + "\n")

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    shutil.rmtree(source)  # nothing of the source tree is left to find
    probe = subprocess.run(
        [python, "-c", PROBE], cwd=outside, env=env, check=True, capture_output=True, text=True
    )
    found = json.loads(probe.stdout)
    assert Path(found["package"]).is_relative_to(fresh)
    assert Path(found["dir"]) == Path(site) / "playground" / "_prompts"
    expected = {k: t.hash for k, t in load_prompts(ROOT / "prompts").items()}
    assert found["hashes"] == expected and "debate/judge" in expected
