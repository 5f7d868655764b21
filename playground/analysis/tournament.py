"""Debater tournaments: round-robin and Swiss pairing plans for N debater models, written as
one experiment per pairing (debater_a vs debater_b, the base experiment's judge, dataset and
options), tagged so the results can be found, standings read back and the next Swiss round
paired from the log.

Tags: ``tournament:<name>`` and ``round:<k>`` on every planned experiment; a plan is a list of
`Experiment` objects, and `write_plan` writes them as TOML files that ``playground run`` runs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import pandas as pd
import tomli_w
from pydantic import BaseModel, Field

from ..experiments.config import Experiment, RoleConfig
from .ratings import debate_matches

Format = Literal["round-robin", "swiss"]


class Pairing(BaseModel):
    """One planned match: ``a`` takes the debater_a seat, ``b`` debater_b."""

    round: int = Field(ge=1)
    a: str
    b: str


def round_robin(models: Sequence[str]) -> list[list[tuple[str, str]]]:
    """Every pair of models exactly once, in rounds where each model plays at most once (the
    circle method: the first model stays, the others rotate one place per round). N models
    give N − 1 rounds of N/2 pairs when N is even; with N odd one model sits out each round
    (N rounds)."""
    players: list[str | None] = list(_distinct(models))
    if len(players) % 2:
        players.append(None)  # the bye
    n = len(players)
    rounds = []
    for _ in range(n - 1):
        pairs = [(players[i], players[n - 1 - i]) for i in range(n // 2)]
        rounds.append([(a, b) for a, b in pairs if a is not None and b is not None])
        players = [players[0], players[-1], *players[1:-1]]
    return rounds


def swiss_pairs(
    models: Sequence[str],
    points: dict[str, float],
    played: set[frozenset[str]],
    byes: dict[str, int] | None = None,
) -> tuple[list[tuple[str, str]], str | None]:
    """One Swiss round (Monrad style): models ranked by points (ties in the order given), the
    best unpaired model meets the next-ranked one it has not met yet, backtracking when that
    leaves the rest unpairable; when no pairing avoids a rematch, pairs by rank alone. With an odd number
    the lowest-ranked model among those with the fewest ``byes`` so far sits out (the bye,
    returned)."""
    ranked = sorted(_distinct(models), key=lambda m: -points.get(m, 0.0))  # stable
    bye = None
    if len(ranked) % 2:
        fewest = min((byes or {}).get(m, 0) for m in ranked)
        bye = [m for m in ranked if (byes or {}).get(m, 0) == fewest][-1]
        ranked.remove(bye)
    pairs = _pair(ranked, played) or _pair(ranked, set())
    assert pairs is not None  # without the rematch rule any even list pairs up
    return pairs, bye


def _pair(ranked: list[str], played: set[frozenset[str]]) -> list[tuple[str, str]] | None:
    if not ranked:
        return []
    first, rest = ranked[0], ranked[1:]
    for i, other in enumerate(rest):
        if frozenset((first, other)) in played:
            continue
        tail = _pair(rest[:i] + rest[i + 1 :], played)
        if tail is not None:
            return [(first, other), *tail]
    return None


def _distinct(models: Sequence[str]) -> list[str]:
    out = list(dict.fromkeys(models))
    if len(out) != len(models):
        raise ValueError("each debater model may appear once")
    if len(out) < 2:
        raise ValueError("a tournament needs at least two debater models")
    return out


def standings(verdicts: pd.DataFrame, name: str, runs: pd.DataFrame) -> pd.DataFrame:
    """Per model in the tournament's runs (tag ``tournament:<name>``): pairings played,
    ``points`` (1 per pairing won on debate wins, ½ for a tie) and debate ``wins``/``losses``;
    with ``opponents`` (the models met), from which the next Swiss round is paired."""
    columns = ["model", "pairings", "points", "wins", "losses", "opponents"]
    if verdicts.empty or runs.empty:
        return pd.DataFrame(columns=columns)
    tag = f"tournament:{name}"
    mine = runs[runs["tags"].map(lambda tags: tag in tags)]["run_id"]
    rows = verdicts[verdicts["run_id"].isin(set(mine))]
    table: dict[str, dict] = {}
    for _, run in rows.groupby("run_id", observed=True):
        matches = debate_matches(run)
        matches = matches[matches["winner"] != matches["loser"]]
        wins = matches["winner"].value_counts().to_dict()
        losses = matches["loser"].value_counts().to_dict()
        pair = sorted(set(wins) | set(losses))
        if len(pair) != 2:
            continue
        a, b = pair
        for me, other in ((a, b), (b, a)):
            row = table.setdefault(
                me, {"model": me, "pairings": 0, "points": 0.0, "wins": 0, "losses": 0,
                     "opponents": []}
            )  # fmt: skip
            mine_w, their_w = wins.get(me, 0), wins.get(other, 0)
            row["pairings"] += 1
            row["points"] += 1.0 if mine_w > their_w else 0.5 if mine_w == their_w else 0.0
            row["wins"] += mine_w
            row["losses"] += losses.get(me, 0)
            row["opponents"].append(other)
    out = pd.DataFrame(list(table.values()), columns=columns)
    return out.sort_values(["points", "wins"], ascending=False, ignore_index=True)


def pairings(
    models: Sequence[str],
    format: Format,
    round: int = 1,
    table: pd.DataFrame | None = None,
) -> tuple[list[Pairing], str | None]:
    """The pairings to plan: every round of a round robin (``round`` ignored), or round
    ``round`` of a Swiss tournament paired from ``table`` (`standings`; none for round 1).
    Returns the pairings and the Swiss bye (None for a round robin)."""
    if format == "round-robin":
        plan = [
            Pairing(round=r, a=a, b=b)
            for r, pairs in enumerate(round_robin(models), 1)
            for a, b in pairs
        ]
        return plan, None
    points: dict[str, float] = {}
    played: set[frozenset[str]] = set()
    met: dict[str, int] = {}
    if table is not None and len(table):
        points = dict(zip(table["model"], table["points"], strict=True))
        met = dict(zip(table["model"], table["pairings"], strict=True))
        played = {frozenset((m, o)) for m, os in zip(table["model"], table["opponents"], strict=True) for o in os}  # fmt: skip
    byes = {m: max(0, round - 1 - met.get(m, 0)) for m in models}  # rounds sat out so far
    pairs, bye = swiss_pairs(models, points, played, byes)
    return [Pairing(round=round, a=a, b=b) for a, b in pairs], bye


def plan(base: Experiment, pairs: Sequence[Pairing], name: str | None = None) -> list[Experiment]:
    """One experiment per pairing: the base experiment with ``debater_a`` = a and
    ``debater_b`` = b (any ``debater`` seat of the base dropped; the base's debater seat
    settings other than the model, if any, kept), named and tagged for the tournament."""
    tournament = name or base.name
    seat = base.roles.get("debater_a") or base.roles.get("debater")
    template = seat.model_dump(exclude={"model"}, exclude_none=True) if seat else {}
    out = []
    for p in pairs:
        roles = {
            k: v for k, v in base.roles.items() if k not in ("debater", "debater_a", "debater_b")
        }
        roles["debater_a"] = RoleConfig(**template, model=p.a)
        roles["debater_b"] = RoleConfig(**template, model=p.b)
        out.append(
            base.model_copy(
                update={
                    "name": f"{tournament} r{p.round}: {p.a} vs {p.b}",
                    "tags": [*base.tags, f"tournament:{tournament}", f"round:{p.round}"],
                    "roles": roles,
                }
            )
        )
    return out


def write_plan(experiments: Sequence[Experiment], out: str | Path) -> list[Path]:
    """Write each experiment as ``NN-<name>.toml`` into ``out`` (created); the paths written."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, exp in enumerate(experiments, 1):
        slug = re.sub(r"[^A-Za-z0-9._-]+", "-", exp.name).strip("-")[:80]
        path = folder / f"{i:02d}-{slug}.toml"
        data = exp.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
        data["name"], data["protocol"], data["dataset"] = exp.name, exp.protocol, exp.dataset
        path.write_text(tomli_w.dumps(data), encoding="utf-8")
        paths.append(path)
    return paths
