"""Krippendorff's alpha against the worked example of Krippendorff (2011) and a panel computed
by hand; in the agreement summary beside Fleiss' kappa."""

import math

import numpy as np
import pytest

from playground.analysis.agreement import agreement, krippendorff_alpha
from tests.test_analysis_metrics import load, panel_records

N = np.nan
# Krippendorff (2011), "Computing Krippendorff's alpha-reliability", section C: four observers,
# twelve units, values 1–5, missing data. Published: nominal .743, interval .849.
PAPER = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
    [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
]


def test_the_papers_worked_example():
    assert krippendorff_alpha(np.array(PAPER), "nominal") == pytest.approx(0.743, abs=5e-4)
    assert krippendorff_alpha(np.array(PAPER), "interval") == pytest.approx(0.849, abs=5e-4)


def test_undefined_without_two_pairable_values():
    assert math.isnan(krippendorff_alpha(np.array([[1, 1, N], [1, 1, 2]]), "nominal"))
    with pytest.raises(ValueError, match="raters × units"):
        krippendorff_alpha(np.array([1, 2, 3]))


def test_panel_alpha_by_hand(store):
    summary, _, _ = agreement(load(store, panel_records()).verdicts)
    s = summary.iloc[0]
    # choices per transcript (j1, j2): (0,0) (0,1) (1,1) (1,1). Coincidences: o00 = 2,
    # o01 = o10 = 1, o11 = 4; n0 = 3, n1 = 5, n = 8. D_o = 2/8, D_e = 2·3·5/(8·7);
    # α = 1 − (2/8)/(30/56) = 16/30 (Fleiss' κ, without the small-sample term, is .467)
    assert s["alpha_nominal"] == pytest.approx(16 / 30)
    # credences on the correct answer: (.8,.6) (.9,.1) (.4,.2) (.3,.3). D_o = (2·.04 + 2·.64 +
    # 2·.04)/8 = .18; Σ over all ordered pairs of (v − v')² = 2·8·Σ(v − mean)² = 16·.58;
    # D_e = 9.28/56; α = 1 − .18·56/9.28
    assert s["alpha_interval"] == pytest.approx(1 - 0.18 * 56 / 9.28)
