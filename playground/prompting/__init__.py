"""The prompt workbench's library: versions of prompt templates in the store, variable checks,
diffs, export to files and paired statistics. A/B runs live a layer up, in
`playground.experiments.ab` (they run experiments, which resolve prompts through this package)."""

from .diff import DiffRow, Segment, diff_templates, side_by_side_html, unified_diff
from .files import export_version, to_toml
from .validate import VariableCheck, check_messages, check_template, reference_template
from .versions import (
    MIN_PREFIX,
    PromptVersion,
    find_by_hash,
    get_version,
    list_versions,
    parse_ref,
    register_files,
    resolve_prompt,
    save_version,
)

__all__ = [
    "MIN_PREFIX",
    "DiffRow",
    "PromptVersion",
    "Segment",
    "VariableCheck",
    "check_messages",
    "check_template",
    "diff_templates",
    "export_version",
    "find_by_hash",
    "get_version",
    "list_versions",
    "parse_ref",
    "reference_template",
    "register_files",
    "resolve_prompt",
    "save_version",
    "side_by_side_html",
    "to_toml",
    "unified_diff",
]
