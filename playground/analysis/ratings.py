"""Ratings: Bradley–Terry strengths on the Elo scale, with cluster-bootstrap intervals, for
debaters (overall, honest, dishonest) and judges; TrueSkill for debaters beside them.

Model: P(i beats j) = π_i / (π_i + π_j) = σ(θ_i − θ_j) with θ = log π, fitted by maximum
likelihood (Newton's method) with a weak prior: every player also plays ``prior``
virtual games against a fixed anchor of strength 1, winning half of them, so that a player
who never lost still gets a finite rating (``prior=0`` gives the plain maximum-likelihood
fit). Ratings are reported on the Elo scale, 1000 + 400·log10(π_i / geometric mean of π):
400 points apart means 10:1 odds. This is the order-free counterpart of online Elo (which
depends on the order games are played in). Intervals are 95% percentile intervals over
bootstrap resamples of whole items (dataset, item id), so a question and its swapped copy
move together.
"""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pandas as pd
import trueskill

from ..stats import wilson

ELO_SCALE = 400 / np.log(10)


def fit_bradley_terry(
    wins: np.ndarray, prior: float = 1.0, tol: float = 1e-10, max_iter: int = 200
) -> np.ndarray:
    """Bradley–Terry log-strengths θ = log π (mean 0 over players with games) maximising the
    likelihood of a win matrix ``wins[..., i, j]`` (weighted games i won against j) plus the
    anchor prior; leading axes are fitted independently (bootstrap replicates). Players without
    games get nan.

    Newton's method on the concave log-likelihood
    ℓ(θ) = Σ_ij w_ij·log σ(θ_i − θ_j) + Σ_i (prior/2)·[log σ(θ_i) + log σ(−θ_i)],
    steps capped at 4 (in log-strength) so near-separable data cannot overshoot; with
    ``prior=0`` the Hessian is singular along θ + c and the pseudo-inverse picks the step
    orthogonal to it.
    """
    wins = np.asarray(wins, dtype=float)
    games = wins + np.swapaxes(wins, -1, -2)
    won = wins.sum(axis=-1) + prior / 2
    active = games.sum(axis=-1) + prior > 0
    theta = np.zeros(won.shape)
    for _ in range(max_iter):
        p = 1 / (1 + np.exp(theta[..., None, :] - theta[..., :, None]))  # P(i beats j)
        anchor = 1 / (1 + np.exp(-theta))
        grad = won - (games * p).sum(axis=-1) - prior * anchor
        info = games * p * (1 - p)
        hess = (
            info
            - np.eye(theta.shape[-1])
            * (info.sum(axis=-1) + prior * anchor * (1 - anchor))[..., None]
        )
        hess = hess - np.eye(theta.shape[-1]) * (~active)[..., None]  # keep idle players at 0
        step = -(np.linalg.pinv(hess) @ grad[..., None])[..., 0]
        step = np.clip(np.where(active, step, 0.0), -4, 4)
        theta = theta + step
        if np.max(np.abs(step), initial=0.0) < tol:
            break
    theta = np.where(active, theta, np.nan)
    return theta - np.nanmean(theta, axis=-1, keepdims=True)


def elo(theta: np.ndarray) -> np.ndarray:
    """Log-strengths → Elo-scale ratings (1000 = the players' geometric mean)."""
    return 1000 + ELO_SCALE * theta


def resample_counts(clusters: int, reps: int, seed: int) -> np.ndarray:
    """reps × clusters: how often each cluster is drawn when resampling ``clusters`` of them
    with replacement (one multinomial draw per replicate)."""
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, clusters, size=(reps, clusters)) if clusters else np.zeros((reps, 0))
    offsets = (np.arange(reps) * clusters)[:, None]
    flat = np.bincount((picks + offsets).ravel().astype(np.int64), minlength=reps * clusters)
    return flat.reshape(reps, clusters)


def _win_matrices(
    matches: pd.DataFrame, players: list[str], reps: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """(observed win matrix, reps × win matrices under item-bootstrap weights)."""
    p = len(players)
    index = pd.Index(players)
    pair = index.get_indexer(matches["winner"]) * p + index.get_indexer(matches["loser"])
    weight = matches["weight"].to_numpy(dtype=float)
    observed = np.bincount(pair, weights=weight, minlength=p * p).reshape(p, p)
    codes, uniques = pd.factorize(matches["cluster"])
    draws = resample_counts(len(uniques), reps, seed).astype(float)
    if len(uniques) * p * p <= 20_000_000:
        # wins per cluster and pair; a replicate's wins are its cluster counts times that
        per_cluster = np.zeros((len(uniques), p * p))
        np.add.at(per_cluster, (codes, pair), weight)
        boot = draws @ per_cluster
    else:  # too many clusters × pairs for a dense table: one bincount per replicate
        boot = np.stack([np.bincount(pair, weight * d[codes], minlength=p * p) for d in draws])
    return observed, boot.reshape(reps, p, p)


def rate(matches: pd.DataFrame, reps: int = 200, seed: int = 0, prior: float = 1.0) -> pd.DataFrame:
    """Bradley–Terry ratings from ``matches`` (columns winner, loser, weight, cluster).

    Returns one row per player: ``rating`` (Elo scale), ``ci_low``/``ci_high`` (bootstrap),
    ``games`` and ``wins`` (weighted)."""
    columns = ["player", "rating", "ci_low", "ci_high", "games", "wins"]
    if matches.empty:
        return pd.DataFrame(columns=columns)
    sides = np.concatenate([matches["winner"].to_numpy(object), matches["loser"].to_numpy(object)])
    players = sorted(pd.unique(sides).tolist())
    observed, boot = _win_matrices(matches, players, reps, seed)
    rating = elo(fit_bradley_terry(observed, prior))
    if reps:
        samples = elo(fit_bradley_terry(boot, prior))
        low, high = np.nanquantile(samples, [0.025, 0.975], axis=0)
    else:
        low = high = np.full(len(players), np.nan)
    return pd.DataFrame(
        {
            "player": players,
            "rating": rating,
            "ci_low": low,
            "ci_high": high,
            "games": observed.sum(axis=1) + observed.sum(axis=0),
            "wins": observed.sum(axis=1),
        },
        columns=columns,
    ).sort_values("rating", ascending=False, ignore_index=True)


def debate_matches(verdicts: pd.DataFrame) -> pd.DataFrame:
    """One match per ok verdict and pair of seated roles defending different answers, when the
    judge chose one of the two: the chosen side's debater wins.

    Columns: ``winner``/``loser`` (the roles' models, ``model.<role>``), ``winner_honest`` /
    ``loser_honest`` (defended the correct answer), ``weight`` 1, ``cluster`` (dataset and item),
    ``created_at`` (the verdict's time, the order TrueSkill plays matches in).
    """
    seat_roles = [c[5:] for c in verdicts.columns if c.startswith("seat.")]
    seat_roles = [r for r in seat_roles if f"model.{r}" in verdicts.columns]
    cols = ["item_key", "choice", "correct", "created_at"]
    needed = cols + [f"{k}.{r}" for r in seat_roles for k in ("seat", "model")]
    ok = verdicts.loc[verdicts["status"] == "ok", needed]
    item_codes = ok["item_key"].to_numpy()
    parts = []
    for r1, r2 in combinations(seat_roles, 2):
        s1 = ok[f"seat.{r1}"].astype(float).to_numpy()
        s2 = ok[f"seat.{r2}"].astype(float).to_numpy()
        choice = ok["choice"].astype(float).to_numpy()
        keep = ~np.isnan(s1) & ~np.isnan(s2) & (s1 != s2) & ((choice == s1) | (choice == s2))
        first_wins = (choice == s1)[keep]
        sub = ok[keep]
        m1, m2 = sub[f"model.{r1}"].to_numpy(), sub[f"model.{r2}"].to_numpy()
        correct = sub["correct"].astype(float).to_numpy()
        h1, h2 = s1[keep] == correct, s2[keep] == correct
        parts.append(
            pd.DataFrame(
                {
                    "winner": pd.Series(np.where(first_wins, m1, m2), dtype=object),
                    "loser": pd.Series(np.where(first_wins, m2, m1), dtype=object),
                    "winner_honest": np.where(first_wins, h1, h2),
                    "loser_honest": np.where(first_wins, h2, h1),
                    "weight": 1.0,
                    "cluster": item_codes[keep],
                    "created_at": sub["created_at"].to_numpy(),
                }
            )
        )
    columns = [
        "winner", "loser", "winner_honest", "loser_honest", "weight", "cluster", "created_at",
    ]  # fmt: skip
    if not parts:
        return pd.DataFrame(columns=columns)
    matches = pd.concat(parts, ignore_index=True)
    return matches[matches["winner"].notna() & matches["loser"].notna()].reset_index(drop=True)


def _win_rates(games: pd.DataFrame) -> pd.DataFrame:
    """player, matches, wins → + win_rate and its Wilson interval."""
    out = games.copy()
    out["win_rate"] = out["wins"] / out["matches"]
    bounds = [wilson(w, n) for w, n in zip(out["wins"], out["matches"], strict=True)]
    out["wr_low"] = [b[0] for b in bounds]
    out["wr_high"] = [b[1] for b in bounds]
    return out


def debater_boards(
    verdicts: pd.DataFrame, reps: int = 200, seed: int = 0
) -> dict[str, pd.DataFrame]:
    """Debater win rates and ratings: ``overall`` (self-play matches, same model on both
    sides, carry no information and are left out), and ``honest`` / ``dishonest`` from one
    joint fit where a model arguing for the correct answer and the same model arguing for a
    wrong one are separate players (only honest-vs-dishonest matches), so that the
    two boards share a scale: honest X beats dishonest Y with odds 10^((R_X − R_Y)/400)."""
    matches = debate_matches(verdicts)
    cross = matches[matches["winner"] != matches["loser"]]
    boards = {"overall": _board(cross, reps, seed)}
    sided = matches[matches["winner_honest"] != matches["loser_honest"]].copy()
    tag = {True: " (honest)", False: " (dishonest)"}
    for who in ("winner", "loser"):
        suffix = np.where(sided[f"{who}_honest"].to_numpy(bool), tag[True], tag[False])
        joined = sided[who].to_numpy(object) + suffix.astype(object)
        sided[who] = pd.Series(joined, index=sided.index, dtype=object)  # not pandas' str
    joint = _board(sided, reps, seed)
    for side in ("honest", "dishonest"):
        part = joint[joint["model"].str.endswith(tag[side == "honest"])].copy()
        part["model"] = part["model"].str.removesuffix(tag[side == "honest"])
        boards[side] = part.reset_index(drop=True)
    return boards


BOARD_COLUMNS = [
    "model",
    "matches",
    "wins",
    "win_rate",
    "wr_low",
    "wr_high",
    "rating",
    "ci_low",
    "ci_high",
]


def _board(matches: pd.DataFrame, reps: int, seed: int) -> pd.DataFrame:
    if matches.empty:
        return pd.DataFrame(columns=BOARD_COLUMNS)
    ratings = rate(matches, reps, seed)
    table = ratings.rename(columns={"player": "model", "games": "matches"})
    return _win_rates(table)[BOARD_COLUMNS]


def judge_board(verdicts: pd.DataFrame, reps: int = 200, seed: int = 0) -> pd.DataFrame:
    """Judges: accuracy per judge model (ok verdicts; Wilson interval) and a Bradley–Terry
    rating from head-to-head comparisons on the same subject (dataset, item and display order).

    For two judges on one subject, "judge j beats judge k" means j was right and k wrong. Under
    a Rasch model (P(correct) = logistic(ability − difficulty)), conditioning on exactly one
    of the two being right removes the subject's difficulty and leaves Bradley–Terry in the
    abilities. With several verdicts per judge and subject, every cross pair counts with weight
    1 / (n_j · n_k), so each subject contributes at most one comparison per pair of judges.
    """
    columns = [
        "model",
        "verdicts",
        "correct",
        "accuracy",
        "acc_low",
        "acc_high",
        "rating",
        "ci_low",
        "ci_high",
        "comparisons",
    ]
    ok = verdicts.loc[
        verdicts["status"] == "ok",
        ["item_key", "shown", "judge_model", "is_correct"],
    ].dropna(subset=["judge_model"])
    if ok.empty:
        return pd.DataFrame(columns=columns)
    ok["judge_model"] = ok["judge_model"].astype(object)  # ordered below (j < k)
    ok = ok.assign(
        cluster=ok["item_key"],
        subject=ok.groupby(["item_key", "shown"], sort=False, observed=True).ngroup(),
        correct=ok["is_correct"].astype(float),
    )
    per = ok.groupby(["subject", "cluster", "judge_model"], sort=False).agg(
        c=("correct", "sum"), n=("correct", "size")
    )
    per = per.reset_index()
    pairs = per.merge(per, on=["subject", "cluster"], suffixes=("_j", "_k"))
    pairs = pairs[pairs["judge_model_j"] < pairs["judge_model_k"]]
    scale = pairs["n_j"] * pairs["n_k"]
    w_jk = pairs["c_j"] * (pairs["n_k"] - pairs["c_k"]) / scale
    w_kj = (pairs["n_j"] - pairs["c_j"]) * pairs["c_k"] / scale
    matches = pd.concat(
        [
            pd.DataFrame({"winner": pairs["judge_model_j"], "loser": pairs["judge_model_k"], "weight": w_jk, "cluster": pairs["cluster"]}),
            pd.DataFrame({"winner": pairs["judge_model_k"], "loser": pairs["judge_model_j"], "weight": w_kj, "cluster": pairs["cluster"]}),
        ],
        ignore_index=True,
    )  # fmt: skip
    matches = matches[matches["weight"] > 0]
    acc = ok.groupby("judge_model").agg(verdicts=("correct", "size"), correct=("correct", "sum"))
    acc = acc.reset_index().rename(columns={"judge_model": "model"})
    acc["accuracy"] = acc["correct"] / acc["verdicts"]
    bounds = [wilson(k, n) for k, n in zip(acc["correct"], acc["verdicts"], strict=True)]
    acc["acc_low"] = [b[0] for b in bounds]
    acc["acc_high"] = [b[1] for b in bounds]
    ratings = rate(matches, reps, seed).rename(columns={"player": "model", "games": "comparisons"})
    table = acc.merge(
        ratings[["model", "rating", "ci_low", "ci_high", "comparisons"]], on="model", how="left"
    )
    return table.sort_values(["rating", "accuracy"], ascending=False, ignore_index=True)[columns]


TRUESKILL_COLUMNS = ["model", "matches", "wins", "mu", "sigma", "conservative"]


def trueskill_board(matches: pd.DataFrame, draw_probability: float = 0.0) -> pd.DataFrame:
    """TrueSkill (Herbrich, Minka & Graepel 2006; the ``trueskill`` package, its defaults
    μ₀ = 25, σ₀ = 25/3, β = 25/6, τ = 25/300) from ``matches`` played one by one in
    ``created_at`` order (ties kept in frame order): each model's skill ``mu``, its
    uncertainty ``sigma`` and the ``conservative`` estimate μ − 3σ the board is sorted by.
    A debate verdict has a winner, so no draws by default. Unlike Bradley–Terry, the result
    depends on the order the matches were played in; self-play is left out (no information)."""
    cross = matches[matches["winner"] != matches["loser"]]
    if cross.empty:
        return pd.DataFrame(columns=TRUESKILL_COLUMNS)
    if "created_at" in cross.columns:
        cross = cross.sort_values("created_at", kind="stable")
    env = trueskill.TrueSkill(draw_probability=draw_probability)
    update = _win_update(env) if draw_probability == 0 else None
    players: dict[str, tuple[float, float]] = {}
    games: dict[str, list[int]] = {}
    start = (env.mu, env.sigma)
    for winner, loser in zip(cross["winner"], cross["loser"], strict=True):
        w, lo = players.get(winner, start), players.get(loser, start)
        if update is not None:
            players[winner], players[loser] = update(w, lo)
        else:
            a, b = trueskill.rate_1vs1(env.create_rating(*w), env.create_rating(*lo), env=env)
            players[winner], players[loser] = (a.mu, a.sigma), (b.mu, b.sigma)
        games.setdefault(winner, [0, 0])[0] += 1
        games.setdefault(loser, [0, 0])[0] += 1
        games[winner][1] += 1
    rows = [
        {
            "model": name,
            "matches": games[name][0],
            "wins": games[name][1],
            "mu": mu,
            "sigma": sigma,
            "conservative": mu - 3 * sigma,
        }
        for name, (mu, sigma) in players.items()
    ]
    table = pd.DataFrame(rows, columns=TRUESKILL_COLUMNS)
    return table.sort_values("conservative", ascending=False, ignore_index=True)


def _win_update(env: trueskill.TrueSkill):
    """The package's 1-vs-1 update without draws in closed form (exact for two players:
    the factor graph has one truncation), ~100× faster than `trueskill.rate_1vs1`'s general
    message passing, which made a 100k-verdict report take seconds. Same parameters (β, τ) as
    ``env``; `tests/test_analysis_tournament.py` checks it against the package on long random
    sequences."""
    beta2, tau2 = env.beta**2, env.tau**2
    root2 = math.sqrt(2.0)
    norm = 1.0 / math.sqrt(2.0 * math.pi)

    def update(
        w: tuple[float, float], lo: tuple[float, float]
    ) -> tuple[tuple[float, float], tuple[float, float]]:
        var_w, var_l = w[1] ** 2 + tau2, lo[1] ** 2 + tau2  # the dynamics factor first
        c2 = 2.0 * beta2 + var_w + var_l
        c = math.sqrt(c2)
        t = (w[0] - lo[0]) / c
        cdf = 0.5 * math.erfc(-t / root2)
        v = norm * math.exp(-0.5 * t * t) / cdf if cdf else -t
        k = v * (v + t)
        return (
            (w[0] + var_w / c * v, math.sqrt(var_w * max(1.0 - var_w / c2 * k, 0.0))),
            (lo[0] - var_l / c * v, math.sqrt(var_l * max(1.0 - var_l / c2 * k, 0.0))),
        )

    return update
