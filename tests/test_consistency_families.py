"""The reference's further checkers (but_not, implication, disjoint_spanning, expected_evidence,
cond_cond) and the arbitrage violation: formulas against values computed by hand, the solver
against closed forms and a brute-force grid, and a scripted incoherent model behind the real
openai SDK (loopback server) from the library and from the CLI."""

import asyncio
import itertools
import json
import math
import re

import numpy as np
import pytest
from click.testing import CliRunner

from playground.cli import cli
from playground.datasets import DatasetError, load_dataset
from playground.experiments import parse_experiment, run_experiment
from playground.protocols.consistency import metrics
from playground.protocols.consistency.arbitrage import arbitrage, negation_closed_form


def test_new_family_formulas_by_hand():
    assert metrics.but_not(0.5, 0.3, 0.6) == {"violation": 0.2}  # |.5 + .3 − .6|
    assert metrics.but_not(0.5, 0.1, 0.6) == {"violation": 0.0}
    assert metrics.implication(0.6, 0.4) == {"violation": 0.2}
    assert metrics.implication(0.3, 0.4) == {"violation": 0.0}  # P(A) ≤ P(B) is coherent
    assert metrics.disjoint_spanning([0.5, 0.5, 0.5]) == {"sum": 1.5, "violation": 0.5, "n": 3}
    assert metrics.disjoint_spanning([0.2, 0.3, 0.5])["violation"] == 0.0
    # .5·.8 + .5·.6 = .7 against P(A) = .5
    assert metrics.expected_evidence(0.5, 0.5, 0.8, 0.6) == {"implied": 0.7, "violation": 0.2}
    # .5·.5·.5 = .125 against .3
    assert metrics.cond_cond(0.5, 0.5, 0.5, 0.3) == {"violation": 0.175}
    with pytest.raises(ValueError):
        metrics.disjoint_spanning([0.4])


def test_arbitrage_matches_closed_forms():
    # negation: −2·log(√(p(1−q)) + √((1−p)q)), the reference's exact formula
    assert metrics.arbitrage("negation", {"a": 0.9, "not_a": 0.3}) == pytest.approx(
        negation_closed_form(0.9, 0.3), abs=1e-8
    )
    assert negation_closed_form(0.9, 0.3) == pytest.approx(
        -2 * math.log(math.sqrt(0.9 * 0.7) + math.sqrt(0.1 * 0.3))
    )
    # paraphrase pair p, p': −2·log(√(pp') + √((1−p)(1−p')))
    expected = -2 * math.log(math.sqrt(0.7 * 0.5) + math.sqrt(0.3 * 0.5))
    assert metrics.arbitrage("paraphrase", {"a": 0.7, "p1": 0.5}) == pytest.approx(expected, 1e-7)
    # implication .6 ⇒ .4: by symmetry q(A) = 1 − q(B) = 1/2; the binding worlds A∧B and
    # ¬A∧¬B each give log(.25/.24)
    assert metrics.arbitrage("implication", {"a": 0.6, "b": 0.4}) == pytest.approx(
        math.log(25 / 24), abs=1e-8
    )
    # three options at .5: by symmetry every q = 1/3, gain log(1/3) + 2·log(2/3) − 3·log(1/2)
    three = {"o1": 0.5, "o2": 0.5, "o3": 0.5}
    assert metrics.arbitrage("disjoint_spanning", three) == pytest.approx(
        math.log(32 / 27), abs=1e-8
    )


def test_coherent_forecasts_have_no_arbitrage():
    assert metrics.arbitrage("negation", {"a": 0.3, "not_a": 0.7}) == 0.0
    assert metrics.arbitrage("implication", {"a": 0.3, "b": 0.6}) == 0.0
    coherent = {"a": 0.5, "e": 0.4, "a_given_e": 0.8, "a_given_not_e": 0.3}  # .32 + .18
    assert metrics.arbitrage("expected_evidence", coherent) == pytest.approx(0.0, abs=1e-7)
    chain = {"a": 0.5, "b_given_a": 0.4, "c_given_a_and_b": 0.5, "a_and_b_and_c": 0.1}
    assert metrics.arbitrage("cond_cond", chain) == pytest.approx(0.0, abs=1e-7)
    assert metrics.arbitrage("monotonicity", {"x=1": 0.2}) is None


@pytest.mark.parametrize(
    ("family", "p"),
    [
        ("but_not", {"a": 0.5, "b_not_a": 0.3, "a_or_b": 0.6}),
        ("conditional", {"a": 0.5, "b_given_a": 0.8, "a_and_b": 0.3}),
    ],
)
def test_arbitrage_solver_agrees_with_a_brute_force_grid(family, p):
    worlds = metrics.worlds(family, list(p))
    forecast = np.array(list(p.values()))
    signs = [np.array([0 if w[k] is None else (1 if w[k] else -1) for k in p]) for w in worlds]

    def best_on(axes):
        q = np.array(list(itertools.product(*axes)))
        gains = [
            (np.where(s > 0, np.log(q) - np.log(forecast), 0)
             + np.where(s < 0, np.log1p(-q) - np.log1p(-forecast), 0)).sum(axis=1)
            for s in signs
        ]  # fmt: skip
        worst = np.min(gains, axis=0)
        return worst.max(), q[worst.argmax()]

    _, at = best_on([np.linspace(0.01, 0.99, 50)] * len(p))
    fine, at = best_on([np.linspace(max(x - 0.03, 1e-3), min(x + 0.03, 1 - 1e-3), 61) for x in at])
    fine, _ = best_on([np.linspace(x - 0.002, x + 0.002, 81) for x in at])
    value = metrics.arbitrage(family, p)
    assert fine > 0.005  # these forecasts are incoherent
    assert value == pytest.approx(fine, abs=1e-3)  # a grid only approaches the optimum
    assert value >= fine - 1e-9  # the solver's optimum is at least the grid's


def test_arbitrage_clips_certainty_to_the_reference_epsilon():
    # P(A) = 1 and P(¬A) = 1 are clipped to .999: −2·log(2·√(.999·.001))
    value = arbitrage({"a": 1.0, "not_a": 1.0}, metrics.worlds("negation", ["a", "not_a"]))
    assert value == pytest.approx(-2 * math.log(2 * math.sqrt(0.999 * 0.001)), abs=1e-6)


CHECKS = [
    {"id": "but", "family": "but_not", "a": "Spain wins.", "b": "Portugal wins.",
     "b_not_a": "Portugal wins and Spain does not.", "a_or_b": "Spain or Portugal wins."},
    {"id": "imp", "family": "implication", "a": "It is in Brisbane.", "b": "It is in Australia."},
    {"id": "part", "family": "disjoint_spanning",
     "options": ["The winner is red.", "The winner is blue.", "The winner is green."]},
    {"id": "ee", "family": "expected_evidence", "a": "The team wins.", "e": "The star plays.",
     "a_given_e": "Suppose that the star plays. Then the team wins.",
     "a_given_not_e": "Suppose that the star does not play. Then the team wins."},
    {"id": "cc", "family": "cond_cond", "a": "Rain.", "b_given_a": "Suppose rain. Then wind.",
     "c_given_a_and_b": "Suppose rain and wind. Then hail.", "a_and_b_and_c": "Rain, wind and hail."},
]  # fmt: skip
P = {
    "Spain wins.": 0.5, "Portugal wins and Spain does not.": 0.3, "Spain or Portugal wins.": 0.6,
    "It is in Brisbane.": 0.6, "It is in Australia.": 0.4,
    "The winner is red.": 0.5, "The winner is blue.": 0.5, "The winner is green.": 0.5,
    "The team wins.": 0.5, "The star plays.": 0.5,
    "Suppose that the star plays. Then the team wins.": 0.8,
    "Suppose that the star does not play. Then the team wins.": 0.6,
    "Rain.": 0.5, "Suppose rain. Then wind.": 0.5, "Suppose rain and wind. Then hail.": 0.5,
    "Rain, wind and hail.": 0.3,
}  # fmt: skip


def incoherent(body) -> str:
    statement = re.search(r"Statement: (.*)\n", body["messages"][-1]["content"]).group(1)
    return f"Probability: {P.get(statement, 0.5)}"


def test_incoherent_model_on_the_new_families(store, tmp_path, openai_server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    openai_server.responder = incoherent
    path = tmp_path / "checks.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in CHECKS))
    exp = parse_experiment(
        {"name": "c", "protocol": "consistency", "dataset": str(path), "concurrency": 2,
         "roles": {"subject": {"model": "openai/incoherent", "base_url": openai_server.base_url}}}
    )  # fmt: skip
    summary = asyncio.run(run_experiment(exp, store))
    m = {r.item_id: r.verdict.metrics for r in store.iter_records(summary.info.id)}
    assert m["but"]["violation"] == 0.2 and m["imp"]["violation"] == 0.2
    assert m["part"]["violation"] == 0.5 and m["part"]["sum"] == 1.5
    assert m["ee"]["violation"] == 0.2 and m["ee"]["implied"] == 0.7
    assert m["cc"]["violation"] == 0.175
    assert m["imp"]["arbitrage"] == pytest.approx(math.log(25 / 24), abs=1e-8)
    assert m["part"]["arbitrage"] == pytest.approx(math.log(32 / 27), abs=1e-8)
    assert m["part"]["probabilities"] == {"o1": 0.5, "o2": 0.5, "o3": 0.5}
    assert all(x["arbitrage"] > 0 for x in m.values())
    assert len(openai_server.requests) == 3 + 2 + 3 + 4 + 4

    from playground.analysis import build_report, load_frames

    sections = {s.key: s for s in build_report(load_frames(store, [summary.info.id]))}
    table = sections["checks"].tables["consistency"].set_index("family")
    assert table.loc["implication", "mean_violation"] == pytest.approx(0.2)
    assert table.loc["disjoint_spanning", "mean_arbitrage"] == pytest.approx(math.log(32 / 27))


def test_builtin_new_families_run_from_the_cli(tmp_path, openai_server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    openai_server.responder = incoherent
    new = ["but_not", "implication", "disjoint_spanning", "expected_evidence", "cond_cond"]
    families = [i.meta["check"]["family"] for i in load_dataset("builtin:consistency").items]
    assert all(families.count(f) >= 3 for f in new)
    exp = tmp_path / "e.toml"
    exp.write_text(
        f'name = "c"\nprotocol = "consistency"\ndataset = "builtin:consistency"\n'
        f"[options]\nfamilies = {json.dumps(new)}\n"
        f'[roles.subject]\nmodel = "openai/m"\nbase_url = "{openai_server.base_url}"\n'
    )
    db = tmp_path / "log.db"
    result = CliRunner().invoke(cli, ["--db", str(db), "run", str(exp)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    out = tmp_path / "o.jsonl"
    CliRunner().invoke(cli, ["--db", str(db), "export", "--out", str(out)])
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert {r["verdict"]["metrics"]["family"] for r in records} == set(new)
    assert len(records) == sum(families.count(f) for f in new)
    for r in records:  # every answer 0.5: a partition of three sums to 1.5
        assert r["verdict"]["status"] == "ok" and r["verdict"]["metrics"]["arbitrage"] >= 0
        if r["verdict"]["metrics"]["family"] == "disjoint_spanning":
            n = len(r["verdict"]["metrics"]["probabilities"])
            assert r["verdict"]["metrics"]["violation"] == pytest.approx(abs(n * 0.5 - 1))


def test_bad_new_family_lines_are_one_line_errors(tmp_path):
    bad = tmp_path / "b.jsonl"
    bad.write_text(json.dumps({"id": "p", "family": "disjoint_spanning", "options": ["x"]}) + "\n")
    with pytest.raises(DatasetError, match=r"b.jsonl line 1: field 'options'"):
        load_dataset(str(bad))
    bad.write_text(
        json.dumps({"id": "e", "family": "expected_evidence", "a": "x", "e": "y"}) + "\n"
    )
    with pytest.raises(DatasetError, match=r"line 1: field 'a_given_e': required key is missing"):
        load_dataset(str(bad))
