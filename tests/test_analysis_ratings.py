"""Bradley–Terry ratings against closed forms, and the debater and judge boards on small
hand-built logs."""

import math

import numpy as np
import pandas as pd
import pytest
from analysis_fixtures import load, record

from playground.analysis.ratings import (
    debate_matches,
    debater_boards,
    elo,
    fit_bradley_terry,
    judge_board,
    rate,
)


def test_two_players_closed_form():
    # P(A beats B) = π_A / (π_A + π_B); the MLE from 3 wins and 1 loss is π_A / π_B = 3,
    # i.e. 400·log10(3) = 190.85 Elo points apart
    theta = fit_bradley_terry(np.array([[0, 3], [1, 0]]), prior=0)
    assert theta[0] - theta[1] == pytest.approx(math.log(3), abs=1e-9)
    ratings = elo(theta)
    assert ratings[0] - ratings[1] == pytest.approx(400 * math.log10(3), abs=1e-6)
    assert ratings.mean() == pytest.approx(1000)


def test_three_players_satisfy_the_likelihood_equations():
    # At the MLE every player's expected wins Σ_j n_ij·σ(θ_i − θ_j) equal its actual wins.
    wins = np.array([[0, 2, 3], [1, 0, 2], [1, 1, 0]], dtype=float)
    theta = fit_bradley_terry(wins, prior=0)
    games = wins + wins.T
    p = 1 / (1 + np.exp(theta[None, :] - theta[:, None]))
    np.testing.assert_allclose((games * p).sum(axis=1), wins.sum(axis=1), atol=1e-8)
    assert theta[0] > theta[1] > theta[2]


def test_even_records_give_equal_ratings_and_the_prior_keeps_an_unbeaten_player_finite():
    even = fit_bradley_terry(np.array([[0, 2, 1], [2, 0, 1], [1, 1, 0]]), prior=0)
    np.testing.assert_allclose(even, 0, atol=1e-9)
    unbeaten = fit_bradley_terry(np.array([[0, 5], [0, 0]]), prior=1.0)
    assert np.isfinite(unbeaten).all() and unbeaten[0] > unbeaten[1]
    # with the anchor: A wins 5 + 0.5 of 6 games... the fit still solves its score equations
    batch = fit_bradley_terry(np.stack([np.array([[0, 3], [1, 0]])] * 4), prior=0)
    np.testing.assert_allclose(batch[:, 0] - batch[:, 1], math.log(3), atol=1e-9)


def test_rate_reports_wins_games_and_bootstrap_interval():
    matches = pd.DataFrame(
        {
            "winner": ["a"] * 6 + ["b"] * 2,
            "loser": ["b"] * 6 + ["a"] * 2,
            "weight": 1.0,
            "cluster": range(8),
        }
    )
    table = rate(matches, reps=200, seed=0, prior=0).set_index("player")
    assert table.loc["a", "wins"] == 6 and table.loc["a", "games"] == 8
    assert table.loc["a", "rating"] - table.loc["b", "rating"] == pytest.approx(400 * math.log10(3))
    assert table.loc["a", "ci_low"] < table.loc["a", "rating"] < table.loc["a", "ci_high"]


def debate(run, item, winner_seat, x="model/x", y="model/y", correct=0, swapped=False):
    """x sits in debater_a defending answer 0 (or 1 when swapped), y in debater_b."""
    display = (1, 0) if swapped else (0, 1)
    choice = display[0] if winner_seat == "a" else display[1]
    return record(run, item, choice=choice, correct=correct, display=display, swapped=swapped,
                  debaters=(x, y))  # fmt: skip


def test_debater_boards(store):
    # x vs y on 4 items; x is honest on items where correct = its answer
    records = [
        debate("r1", "q1", "a"),  # x honest (answer 0 correct), x wins
        debate("r1", "q2", "a", swapped=True),  # x defends 1, wrong: dishonest x wins
        debate("r1", "q3", "b"),  # y dishonest wins
        debate("r1", "q4", "a"),  # x honest wins
        debate("r1", "q5", "a", y="model/x"),  # self-play: no information for "overall"
    ]
    frames = load(store, records)
    matches = debate_matches(frames.verdicts)
    assert len(matches) == 5
    boards = debater_boards(frames.verdicts, reps=50)
    overall = boards["overall"].set_index("model")
    assert overall.loc["model/x", "matches"] == 4 and overall.loc["model/x", "wins"] == 3
    assert overall.loc["model/x", "win_rate"] == 0.75
    honest = boards["honest"].set_index("model")
    dishonest = boards["dishonest"].set_index("model")
    # honest x: q1, q3 (lost to dishonest y), q4, q5; dishonest x: q2 (won), q5 (lost to itself)
    assert honest.loc["model/x", "matches"] == 4 and honest.loc["model/x", "wins"] == 3
    assert dishonest.loc["model/x", "matches"] == 2 and dishonest.loc["model/x", "wins"] == 1
    assert dishonest.loc["model/y", "matches"] == 3 and dishonest.loc["model/y", "wins"] == 1
    # honest y (q2) lost its only match
    assert honest.loc["model/y", "matches"] == 1 and honest.loc["model/y", "wins"] == 0
    assert honest.loc["model/x", "rating"] > dishonest.loc["model/x", "rating"]


def test_judge_board_compares_judges_on_the_same_item(store):
    records = []
    for item, (j1, j2) in {"q1": (0, 0), "q2": (0, 1), "q3": (0, 1), "q4": (1, 1)}.items():
        records.append(record("r1", item, choice=j1, judge="judge/one", judge_role="judge_1",
                              transcript_id=f"t-{item}"))  # fmt: skip
        records.append(record("r1", item, choice=j2, judge="judge/two", judge_role="judge_2",
                              transcript_id=f"t-{item}", judge_index=3))  # fmt: skip
    board = judge_board(load(store, records).verdicts, reps=20).set_index("model")
    assert board.loc["judge/one", "accuracy"] == 0.75
    assert board.loc["judge/two", "accuracy"] == 0.25
    # discordant subjects: q2 and q3, both won by judge/one
    assert board.loc["judge/one", "comparisons"] == 2
    assert board.loc["judge/one", "rating"] > 1000 > board.loc["judge/two", "rating"]
