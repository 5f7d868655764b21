"""Paired statistics for an A/B comparison of two prompt versions on the same transcripts.

Each pair is one item under one assignment, judged once in arm A and once in arm B. Per arm a
verdict is *scored* when its status is ``ok`` (then it is correct or wrong); ``unparseable`` and
``error`` verdicts are never counted as correct, nor as wrong: as everywhere in the playground,
accuracy is correct / ok verdicts.

- **Difference**: accuracy(B) − accuracy(A), each arm over its own ok verdicts.
- **Paired bootstrap interval**: resample the pairs (not the verdicts) with replacement,
  recompute both accuracies on the resample and take the 2.5th and 97.5th percentiles of the
  difference. Resamples in which an arm has no ok verdict are skipped (and counted). Given
  ``clusters`` (one label per pair, e.g. the item, so a question and its swapped copy move
  together), whole clusters are resampled instead of single pairs.
- **McNemar exact test**: on the pairs where both verdicts are ok, the discordant ones (A correct
  and B wrong, or the reverse) are a binomial(n, ½) under "the prompt makes no difference";
  the two-sided p-value is min(1, 2 · P(X ≤ min(b, c))).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

Outcome = tuple[bool, bool]
"""(scored: the verdict is ok, correct: it is ok and right)."""


def mcnemar_exact(a_only: int, b_only: int) -> float:
    """Two-sided exact McNemar p-value from the discordant counts (1.0 when there are none)."""
    n = a_only + b_only
    if n == 0:
        return 1.0
    k = min(a_only, b_only)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2**n
    return min(1.0, 2 * tail)


def accuracy(outcomes: Sequence[Outcome]) -> float | None:
    ok = sum(1 for scored, _ in outcomes if scored)
    return sum(1 for scored, right in outcomes if scored and right) / ok if ok else None


def paired_bootstrap(
    a: Sequence[Outcome],
    b: Sequence[Outcome],
    *,
    resamples: int = 10_000,
    seed: int = 0,
    level: float = 0.95,
    clusters: Sequence[object] | None = None,
) -> tuple[float | None, float | None, int]:
    """Percentile interval for accuracy(B) − accuracy(A), resampling pairs (or whole
    ``clusters`` of pairs); returns (low, high, resamples used). (None, None, 0) when no
    resample has an ok verdict in both arms."""
    if len(a) != len(b) or (clusters is not None and len(clusters) != len(a)):
        raise ValueError("both arms (and the clusters) need one entry per pair")
    if not a:
        return None, None, 0
    ok_a, right_a = (np.array(x, dtype=np.int64) for x in zip(*a, strict=True))
    ok_b, right_b = (np.array(x, dtype=np.int64) for x in zip(*b, strict=True))
    rng = np.random.default_rng(seed)
    if clusters is None:
        picks = rng.integers(0, len(a), size=(resamples, len(a)))
        weights = None
    else:  # each pair weighted by how often its cluster is drawn
        codes = np.unique(np.array([str(c) for c in clusters]), return_inverse=True)[1]
        k = int(codes.max()) + 1
        weights = rng.multinomial(k, np.full(k, 1.0 / k), size=resamples)[:, codes]

    def total(x: np.ndarray) -> np.ndarray:
        return x[picks].sum(axis=1) if weights is None else weights @ x

    n_ok_a, n_ok_b = total(ok_a), total(ok_b)
    usable = (n_ok_a > 0) & (n_ok_b > 0)
    if not usable.any():
        return None, None, 0
    acc_a = total(right_a)[usable] / n_ok_a[usable]
    acc_b = total(right_b)[usable] / n_ok_b[usable]
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(acc_b - acc_a, [tail, 100 - tail])
    return float(low), float(high), int(usable.sum())


@dataclass(frozen=True, kw_only=True)
class PairedStats:
    """The comparison of two arms over the same pairs (see the module docstring)."""

    pairs: int
    accuracy_a: float | None
    accuracy_b: float | None
    difference: float | None
    """accuracy_b − accuracy_a."""
    ci_low: float | None
    ci_high: float | None
    level: float
    resamples: int
    """Bootstrap resamples used (those with an ok verdict in both arms)."""
    both_ok: int
    """Pairs where both verdicts are ok: the pairs McNemar looks at."""
    a_only: int
    """Both ok, A correct and B wrong."""
    b_only: int
    """Both ok, B correct and A wrong."""
    mcnemar_p: float

    def describe(self) -> str:
        """One line: the difference, its interval and McNemar's p."""
        if self.difference is None:
            return f"{self.pairs} pairs: no accuracy difference (an arm has no ok verdict)"
        pct = f"{self.level:.0%}"
        ci = (
            f"[{self.ci_low:+.1%}, {self.ci_high:+.1%}]"
            if self.ci_low is not None and self.ci_high is not None
            else "n/a"
        )
        return (
            f"accuracy B − A = {self.difference:+.1%} ({pct} paired bootstrap interval {ci}); "
            f"McNemar exact p = {self.mcnemar_p:.3g} ({self.a_only} pairs only A right, "
            f"{self.b_only} only B right, of {self.both_ok} with both ok)"
        )


def paired_stats(
    a: Sequence[Outcome],
    b: Sequence[Outcome],
    *,
    resamples: int = 10_000,
    seed: int = 0,
    level: float = 0.95,
    clusters: Sequence[object] | None = None,
) -> PairedStats:
    """Everything the A/B view (and the report's paired comparisons) report, from one
    (scored, correct) outcome per pair and arm; ``clusters`` as in `paired_bootstrap`."""
    acc_a, acc_b = accuracy(a), accuracy(b)
    difference = acc_b - acc_a if acc_a is not None and acc_b is not None else None
    low, high, used = paired_bootstrap(
        a, b, resamples=resamples, seed=seed, level=level, clusters=clusters
    )
    both = [(x[1], y[1]) for x, y in zip(a, b, strict=True) if x[0] and y[0]]
    a_only = sum(1 for ra, rb in both if ra and not rb)
    b_only = sum(1 for ra, rb in both if rb and not ra)
    return PairedStats(
        pairs=len(a),
        accuracy_a=acc_a,
        accuracy_b=acc_b,
        difference=difference,
        ci_low=low,
        ci_high=high,
        level=level,
        resamples=used,
        both_ok=len(both),
        a_only=a_only,
        b_only=b_only,
        mcnemar_p=mcnemar_exact(a_only, b_only),
    )
