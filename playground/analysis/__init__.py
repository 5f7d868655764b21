"""Verdict analysis: the log as pandas frames, the metrics, ratings and calibration on them, the
filters that pick a cohort, and the sections the Analysis page and ``playground report`` show."""

from __future__ import annotations

from .filters import Filters, apply, choices
from .frame import Frames, load_frames
from .report import NO_DATA, Section, build_report, render_text

__all__ = [
    "NO_DATA",
    "Filters",
    "Frames",
    "Section",
    "apply",
    "build_report",
    "choices",
    "load_frames",
    "render_text",
]
