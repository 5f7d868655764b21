"""The benchmarks run (tiny sizes; their numbers are not checked here: speed lives in
`make bench`, not in tests) and report what they promise."""

from __future__ import annotations

import re

from benchmarks import debate_concurrency


def test_debate_benchmark_reports_every_figure(capsys):
    debate_concurrency.main(["--n", "3", "--c", "2", "--latency", "0.01", "--rounds", "1"])
    out = capsys.readouterr().out
    assert "model calls: 9 planned, 9 received by the server, 3 transcripts" in out
    assert re.search(r"wall / ideal: \d+\.\d+", out)
    assert re.search(r"bare openai SDK loop sending the same requests: \d+\.\d+ ms", out)
    assert re.search(r"scripted seats, no HTTP\): \d+\.\d+ ms", out)
    assert "cached replay: 0 HTTP calls" in out


def test_startup_benchmark_times_every_command(capsys):
    from benchmarks import startup

    startup.main(["--repeat", "1"])
    out = capsys.readouterr().out
    for label in ("bare `import openai`", "playground --help", "playground runs",
                  "playground report --help", "playground run (1 item, 3 calls)"):  # fmt: skip
        assert re.search(re.escape(label) + r"\s+\d+\.\d\d s\s+[+-]\d+\.\d\d s", out), label


def test_assignment_benchmark_fills_every_slot_exactly_k_times(capsys):
    from benchmarks import assignment

    assignment.main(["--annotators", "4", "--items", "3", "--k", "2", "--no-pg"])
    out = capsys.readouterr().out
    assert "4 annotators (threads), 6 tasks × k = 2" in out
    assert re.search(r"sqlite\s+12\s+yes\s+\d+\.\d ms", out)
