"""Debater tournaments: round-robin and Swiss pairings checked by hand, TrueSkill against the
update worked out from its formulas, and the CLI planning a Swiss tournament whose rounds run
through the openai SDK (loopback) and are paired again from the log."""

import math
from itertools import combinations
from statistics import NormalDist

import pandas as pd
import pytest
from click.testing import CliRunner

from playground.analysis.ratings import trueskill_board
from playground.analysis.tournament import round_robin, swiss_pairs
from playground.cli import cli
from playground.experiments import load_experiment


def test_round_robin_circle_method_by_hand():
    # 0 stays, the rest rotate: (0,3)(1,2) → (0,2)(3,1) → (0,1)(2,3)
    assert round_robin(["m0", "m1", "m2", "m3"]) == [
        [("m0", "m3"), ("m1", "m2")],
        [("m0", "m2"), ("m3", "m1")],
        [("m0", "m1"), ("m2", "m3")],
    ]
    five = [f"m{i}" for i in range(5)]
    rounds = round_robin(five)
    assert len(rounds) == 5 and all(len(r) == 2 for r in rounds)  # one bye per round
    met = [frozenset(p) for r in rounds for p in r]
    assert sorted(met, key=sorted) == sorted(map(frozenset, combinations(five, 2)), key=sorted)
    for r in rounds:
        seated = [m for p in r for m in p]
        assert len(seated) == len(set(seated))
    with pytest.raises(ValueError, match="at least two"):
        round_robin(["solo"])
    with pytest.raises(ValueError, match="once"):
        round_robin(["a", "a"])


def test_swiss_pairs_by_points_avoiding_rematches():
    points = {"a": 2, "b": 2, "c": 1, "d": 0}
    assert swiss_pairs(list("abcd"), points, set()) == ([("a", "b"), ("c", "d")], None)
    # a met b: a takes the next one, c; b meets d
    assert swiss_pairs(list("abcd"), points, {frozenset("ab")}) == (
        [("a", "c"), ("b", "d")],
        None,
    )


def test_swiss_backtracks_and_gives_the_bye_to_the_lowest_without_one():
    points = {"a": 2, "b": 2, "c": 1, "d": 0}
    # a–b and b–d met: a–c would leave b–d, a rematch, so a meets d and b meets c
    assert swiss_pairs(list("abcd"), points, {frozenset("ab"), frozenset("bd")}) == (
        [("a", "d"), ("b", "c")],
        None,
    )
    # a–b, b–c, a–c met: every pairing repeats a match, so they pair by rank alone
    every = {frozenset("ab"), frozenset("bc"), frozenset("ac")}
    assert swiss_pairs(list("abcd"), points, every) == ([("a", "b"), ("c", "d")], None)
    # five models: e is last but has had a bye, so d sits out
    pairs, bye = swiss_pairs(list("abcde"), points, set(), {"e": 1})
    assert bye == "d" and pairs == [("a", "b"), ("c", "e")]


def test_trueskill_first_match_matches_the_formulas():
    board = trueskill_board(pd.DataFrame({"winner": ["x"], "loser": ["y"]})).set_index("model")
    # new players μ = 25, σ = 25/3, β = 25/6, dynamics τ = 25/300, no draws:
    # σ'² = σ² + τ², c² = 2β² + 2σ'², t = 0, v = φ(0)/Φ(0), w = v·(v + t)
    mu, beta, tau = 25.0, 25 / 6, 25 / 300
    s2 = (25 / 3) ** 2 + tau**2
    c = math.sqrt(2 * beta**2 + 2 * s2)
    v = NormalDist().pdf(0) / 0.5
    w = v * v
    assert board.loc["x", "mu"] == pytest.approx(mu + s2 / c * v, abs=1e-6)
    assert board.loc["y", "mu"] == pytest.approx(mu - s2 / c * v, abs=1e-6)
    sigma = math.sqrt(s2 * (1 - s2 / c**2 * w))
    assert board.loc["x", "sigma"] == pytest.approx(sigma, abs=1e-6)
    assert board.loc["x", "mu"] == pytest.approx(29.205, abs=1e-3)  # ≈ the textbook 29.2
    assert board.loc["x", "conservative"] == pytest.approx(board.loc["x", "mu"] - 3 * sigma)
    assert list(board.index) == ["x", "y"]
    assert (board.loc["x", "matches"], board.loc["x", "wins"]) == (1, 1)


def test_trueskill_plays_matches_in_order_and_skips_self_play():
    matches = pd.DataFrame(
        {
            "winner": ["x", "y", "x"],
            "loser": ["y", "x", "x"],
            "created_at": pd.to_datetime(["2026-01-02", "2026-01-01", "2026-01-03"]),
        }
    )
    board = trueskill_board(matches).set_index("model")
    # y won first, x second: the later win counts more, x ends ahead
    assert board.loc["x", "mu"] > board.loc["y", "mu"]
    assert board.loc["x", "matches"] == 2  # the self-play row left out
    assert trueskill_board(matches.iloc[[2]]).empty


def test_trueskill_closed_form_equals_the_package_over_a_long_lopsided_sequence():
    import random

    import trueskill

    rng = random.Random(3)
    names = ["a", "b", "c", "d"]
    # "a" wins almost always, so ratings drift far apart (large t, tiny Φ(−t)) over 2000 games
    games = [rng.sample(names, 2) for _ in range(2000)]
    games = [(g[0], g[1]) if rng.random() < 0.2 else tuple(sorted(g)) for g in games]
    board = trueskill_board(
        pd.DataFrame({"winner": [w for w, _ in games], "loser": [lo for _, lo in games]})
    ).set_index("model")
    env = trueskill.TrueSkill(draw_probability=0.0)
    ratings = {n: env.create_rating() for n in names}
    for w, lo in games:
        ratings[w], ratings[lo] = trueskill.rate_1vs1(ratings[w], ratings[lo], env=env)
    # the package's own erfc is a ~1e-7 approximation; ours is math.erfc
    for name, r in ratings.items():
        assert board.loc[name, "mu"] == pytest.approx(r.mu, rel=1e-6)
        assert board.loc[name, "sigma"] == pytest.approx(r.sigma, rel=1e-6)


def test_swiss_tournament_from_the_cli(tmp_path, openai_server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    # the judge always picks B, the answer debater_b defends (no position swap)
    openai_server.responder = lambda body: (
        "Answer: B\nConfidence: 70" if "fair judge" in str(body) else "It is right."
    )
    base = tmp_path / "base.toml"
    base.write_text(
        'name = "cup"\nprotocol = "debate"\ndataset = "builtin:reading"\nlimit = 2\n'
        "[options]\nrounds = 1\n"
        f'[roles.debater]\nmodel = "openai/x"\nbase_url = "{openai_server.base_url}"\n'
        f"max_tokens = 50\n"
        f'[roles.judge]\nmodel = "openai/judge"\nbase_url = "{openai_server.base_url}"\n'
    )
    db = tmp_path / "log.db"

    def cli_run(*args):
        result = CliRunner().invoke(cli, ["--db", str(db), *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    debaters = ["--debater", "openai/x", "--debater", "openai/y", "--debater", "openai/z"]
    out = cli_run(
        "tournament", str(base), *debaters, "--format", "swiss", "--out", str(tmp_path / "r1")
    )
    assert "round 1: openai/x vs openai/y" in out and "bye: openai/z" in out
    (path,) = sorted((tmp_path / "r1").glob("*.toml"))
    exp = load_experiment(path)
    assert exp.roles["debater_a"].model == "openai/x" and exp.roles["debater_b"].model == "openai/y"
    assert exp.roles["debater_a"].max_tokens == 50 and "debater" not in exp.roles
    assert exp.roles["judge"].model == "openai/judge"
    assert {"tournament:cup", "round:1"} <= set(exp.tags)
    cli_run("run", str(path))
    # y won round 1 (1 point); x and y have no bye yet, so x (last of them) sits out
    out = cli_run("tournament", str(base), *debaters, "--format", "swiss", "--round", "2",
                  "--out", str(tmp_path / "r2"))  # fmt: skip
    assert "round 2: openai/y vs openai/z" in out and "bye: openai/x" in out
    lines = out.splitlines()
    assert lines[1].split()[:3] == ["openai/y", "1", "1.0"]  # model, pairings, points
    robin = cli_run("tournament", str(base), *debaters, "--out", str(tmp_path / "rr"))
    assert len(list((tmp_path / "rr").glob("*.toml"))) == 3 and "round 3" in robin


def test_tournament_cli_errors_are_one_line(tmp_path):
    base = tmp_path / "base.toml"
    base.write_text('name = "c"\nprotocol = "blind"\ndataset = "builtin:reading"\n'
                    '[roles.judge]\nmodel = "openai/j"\n')  # fmt: skip
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "l.db"), "tournament", str(base),
                                      "--debater", "a", "--debater", "b", "--out", str(tmp_path)])  # fmt: skip
    assert result.exit_code == 2 and "has no debater_a and debater_b seats" in result.output
    base.write_text(
        base.read_text().replace('"blind"', '"debate"') + '[roles.debater]\nmodel = "a"\n'
    )
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "l.db"), "tournament", str(base),
                                      "--debater", "a", "--out", str(tmp_path)])  # fmt: skip
    assert result.exit_code == 2 and "at least two debater models" in result.output
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "l.db"), "tournament", str(base),
                                      "--debater", "a", "--debater", "b", "--format", "swiss",
                                      "--round", "2", "--out", str(tmp_path)])  # fmt: skip
    assert result.exit_code == 2 and "no results of tournament 'c'" in result.output
