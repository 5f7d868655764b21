"""The Prompts page's A/B section: pick a protocol seat, two versions of its prompt, a dataset
slice, a seed and the models; run both arms on the same items (arm A, then arm B) in the
background with a progress bar and a Stop button; show the verdicts side by side, the changed
ones highlighted, and the paired statistics.

The result is read back from the store (the two run ids and the run handle's id are the only
session state), so it survives reruns; model text is shown in dataframes and `st.code`, never
as HTML.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from pages.keys import key_fields, secret_keys
from pages.live_controls import follow_handle
from pages.team import current_person
from pages.widgets import fmt_pct
from playground.datasets import list_builtins, load_dataset
from playground.events import RunStarted, TranscriptFinished
from playground.experiments import (
    SETUP_ERRORS,
    ExperimentError,
    RunHandle,
    RunRegistry,
    parse_experiment,
)
from playground.experiments.ab import plan_ab, run_ab
from playground.experiments.pairs import ABResult, compare_runs
from playground.prompting import PromptVersion
from playground.prompts import get_prompt
from playground.protocols import PROTOCOLS, get_protocol
from playground.providers import Credentials
from playground.safetext import md_line, md_prose
from playground.store import Store

EMBEDDED = "local/smollm2"
LIVE = "prompts.ab.live"
CHANGED = "background-color: rgba(255, 190, 0, 0.28)"


def label(v: PromptVersion) -> str:
    """How a version reads in a picker: ``id@hash12 · source · note``."""
    note = f" · {v.note}" if v.note else ""
    return f"{v.ref} · {v.source}{note}"


def pick(title: str, versions: dict[str, PromptVersion], key: str, default: str | None) -> str:
    """A version picker by full pin; ``default`` is used until the user picks another."""
    options = list(versions)
    if key not in st.session_state or st.session_state[key] not in versions:
        st.session_state[key] = default if default in versions else options[0]
    return str(st.selectbox(title, options, key=key, format_func=lambda p: label(versions[p])))


def _seat_settings(title: str, key: str, temperature: float, max_tokens: int) -> dict[str, Any]:
    st.markdown(f"**{title}**")
    model = st.text_input("Model", EMBEDDED, key=f"{key}.model").strip()
    left, right = st.columns(2)
    temp = left.number_input("Temperature", 0.0, 2.0, temperature, 0.1, key=f"{key}.temperature")
    tokens = right.number_input("Max tokens", 1, 8192, max_tokens, 16, key=f"{key}.max_tokens")
    config: dict[str, Any] = {"model": model, "max_tokens": int(tokens)}
    if not model.startswith("anthropic/"):  # the Anthropic API takes no temperature
        config["temperature"] = float(temp)
    return config


def short(pin: str) -> str:
    """``id@hash12`` of an ``id@<full hash>`` pin."""
    prompt_id, _, digest = pin.partition("@")
    return f"{prompt_id}@{digest[:12]}"


def _is_judge(seat: str) -> bool:
    return seat == "judge" or seat.startswith("judge_")


def ab_section(store: Store, versions: dict[str, PromptVersion]) -> None:
    st.caption(
        "The same items, seed, models and other prompts run twice: arm A with version A of one "
        "seat's prompt, then arm B with version B. With the response cache on, arm B replays "
        "every call identical to one of arm A, so when only the judge's prompt differs both "
        "judges read the very same debates."
    )
    top = st.columns(3)
    protocol_name = top[0].selectbox(
        "Protocol",
        list(PROTOCOLS),
        index=list(PROTOCOLS).index("debate"),
        key="prompts.ab.protocol",
    )
    protocol = get_protocol(protocol_name)
    seats = list(protocol.roles)
    shorthands = sorted({s.rsplit("_", 1)[0] for s in seats if "_" in s} - set(seats))
    choices = [*shorthands, *seats]
    seat = top[1].selectbox(
        "Seat to vary",
        choices,
        index=choices.index("judge") if "judge" in choices else 0,
        key=f"prompts.ab.{protocol_name}.seat",
        help="A shorthand (debater) varies the prompt of every seat it names (debater_a, debater_b).",
    )
    first = next(s for s in seats if s == seat or s.rsplit("_", 1)[0] == seat)
    shipped = get_prompt(protocol.default_prompt(first))
    same_role = {p: v for p, v in versions.items() if v.role == shipped.role}
    original = next((p for p, v in same_role.items() if v.hash == shipped.hash), None)
    newest = next((p for p, v in same_role.items() if v.source != "file"), None)
    a = pick("Version A", same_role, "prompts.ab.a", original)
    b = pick("Version B", same_role, "prompts.ab.b", newest)

    data = st.columns(5)
    builtins = list(list_builtins("questions"))
    dataset = data[0].selectbox("Dataset", builtins, key="prompts.ab.dataset")
    start = data[1].number_input("First item", 0, 10_000, 0, key="prompts.ab.start")
    count = data[2].number_input("Items", 1, 500, 10, key="prompts.ab.count")
    seed = data[3].number_input("Seed", 0, 2**31 - 1, 0, key="prompts.ab.seed")
    rounds = data[4].number_input("Rounds", 1, 10, 1, key="prompts.ab.rounds")
    opts = st.columns(2)
    swap = opts[0].checkbox("Also run with positions swapped", key="prompts.ab.swap")
    cache = opts[1].checkbox("Replay identical calls from the cache", True, key="prompts.ab.cache")

    arguer, judge = st.columns(2)
    with arguer:
        arguer_config = _seat_settings("Arguers", "prompts.ab.arguer", 0.7, 96)
    with judge:
        judge_config = _seat_settings("Judge", "prompts.ab.judge", 0.0, 32)

    secrets = secret_keys()
    typed = key_fields(secrets)
    if st.button("Run A/B", type="primary", icon=":material/compare_arrows:", key="prompts.ab.run"):
        try:
            base = _experiment(
                protocol_name,
                dataset,
                int(start),
                int(count),
                int(seed),
                int(rounds),
                swap,
                cache,
                arguer_config,
                judge_config,
            )
            plan = plan_ab(base, seat, a, b, store)
        except SETUP_ERRORS as exc:
            st.error(md_prose(str(exc)))
        else:
            _start(plan, store, Credentials.from_sources({}, typed, secrets))
    if (live := ab_runs().get(st.session_state.get(LIVE))) is not None:
        _show_run(live)
    if runs := st.session_state.get("prompts.ab.runs"):
        try:
            result = compare_runs(store, *runs)
        except ExperimentError as exc:  # the runs are gone (another store)
            st.caption(str(exc))
        else:
            show_result(result)


def _experiment(
    protocol: str,
    dataset: str,
    start: int,
    count: int,
    seed: int,
    rounds: int,
    swap: bool,
    cache: bool,
    arguer: dict[str, Any],
    judge: dict[str, Any],
) -> Any:
    items = load_dataset(dataset, seed=seed).items[start : start + count]
    if not items:
        raise ExperimentError(f"items: {dataset} has no items from number {start}")
    options: dict[str, Any] = {"swap_positions": swap}
    if "rounds" in get_protocol(protocol).Options.model_fields:
        options["rounds"] = rounds
    seats = get_protocol(protocol).roles
    return parse_experiment(
        {
            "name": f"A/B on {dataset}",
            "protocol": protocol,
            "dataset": dataset,
            "items": [item.id for item in items],
            "seed": seed,
            "tags": ["page"],
            "cache": cache,
            "concurrency": 4,
            "options": options,
            "roles": {s: judge if _is_judge(s) else arguer for s in seats},
        }
    )


@st.cache_resource(show_spinner=False)
def ab_runs() -> RunRegistry:
    """A/B runs started from this page, shared by the server's sessions: a rerun finds its run."""
    return RunRegistry()


def _start(plan: Any, store: Store, credentials: Credentials) -> None:
    """Start both arms in a `RunHandle` (arm A, then arm B) that the page follows; a new run
    stops the one this session was following."""
    previous = ab_runs().get(st.session_state.get(LIVE))
    if previous is not None and not previous.finished:
        previous.cancel()
    run = RunHandle(lambda options: run_ab(plan, store, options), credentials=credentials,
                    source="page", created_by=current_person())  # fmt: skip
    run.start(timeout=0)
    ab_runs().add(run)
    st.session_state[LIVE] = run.id
    st.session_state.pop("prompts.ab.runs", None)


def _progress(run: RunHandle) -> None:
    """The progress bar, from the run's events so far."""
    total, done, arms = 0, 0, 0
    for event in run.events():
        if isinstance(event, RunStarted):
            total, arms = 2 * event.total, arms + 1
        elif isinstance(event, TranscriptFinished):
            done += 1
    text = f"Arm {'AB'[arms > 1]}: {done} of {max(total, 1)} transcripts done"
    st.progress(min(done / max(total, 1), 1.0), text=text if arms else "Starting arm A…")


def _show_run(run: RunHandle) -> None:
    """While the run goes on, its progress and a Stop button; once, how it ended."""
    if not run.finished:
        follow_handle(run, "prompts.ab.stop", _progress)
        return
    if run.end_shown:
        return
    run.end_shown = True
    if run.status != "done" or run.result is None:
        st.error(md_prose(run.error or "The A/B run was stopped."))
        return
    result = run.result
    st.progress(1.0, text=f"Both arms done: {len(result.pairs)} pairs")
    st.session_state["prompts.ab.runs"] = (result.a.run_id, result.b.run_id)


def show_result(result: ABResult) -> None:
    s = result.stats
    st.subheader("Result")
    cells = st.columns(4)
    cells[0].metric(
        "Accuracy A", fmt_pct(s.accuracy_a), help=f"{result.a.correct} correct of {result.a.ok} ok"
    )
    cells[1].metric(
        "Accuracy B", fmt_pct(s.accuracy_b), help=f"{result.b.correct} correct of {result.b.ok} ok"
    )
    diff = "—" if s.difference is None else f"{s.difference:+.1%}"
    ci = "" if s.ci_low is None or s.ci_high is None else f"{s.ci_low:+.0%} to {s.ci_high:+.0%}"
    cells[2].metric("B − A", diff, help=f"{s.level:.0%} paired bootstrap interval: {ci or 'n/a'}")
    cells[3].metric(
        "McNemar p",
        f"{s.mcnemar_p:.3g}",
        help=f"{s.a_only} pairs only A right, {s.b_only} only B right",
    )
    st.markdown(
        f"**{len(result.changed)} of {len(result.pairs)} verdicts changed.** {s.describe()}"
    )
    for warning in result.warnings:
        st.warning(md_prose(warning))
    counts = pd.DataFrame(
        [
            {
                "Arm": name,
                "Run": arm.run_id,
                "Prompt": ", ".join(short(arm.prompts.get(x, "?")) for x in result.seats),
                "OK": arm.ok,
                "Unparseable": arm.unparseable,
                "Error": arm.error,
                "Correct": arm.correct,
                "Accuracy": None if arm.accuracy is None else 100 * arm.accuracy,
            }
            for name, arm in (("A", result.a), ("B", result.b))
        ]
    )
    st.dataframe(
        counts,
        hide_index=True,
        width="stretch",
        column_config={"Accuracy": st.column_config.NumberColumn(format="%.1f%%")},
    )
    rows = pd.DataFrame(
        [
            {
                "Item": p.item_id,
                "Swapped": p.assignment.swapped,
                "Judge": p.role,
                "Question": p.question,
                "A": p.shown(p.a),
                "B": p.shown(p.b),
                "Changed": p.changed,
            }
            for p in result.pairs
        ]
    )
    if not rows.empty:
        styled = rows.style.apply(lambda r: [CHANGED if r["Changed"] else ""] * len(r), axis=1)
        st.dataframe(styled, hide_index=True, width="stretch")
    st.caption(
        "Accuracy counts ok verdicts only; unparseable and error verdicts are counted apart, "
        "never as correct or wrong. The interval resamples pairs; McNemar's exact test uses the "
        "pairs where both verdicts are ok."
    )
    if result.changed:
        with st.expander(f"Raw judge replies of the {len(result.changed)} changed verdicts"):
            for p in result.changed:
                st.markdown(
                    f"**{md_line(p.item_id)}**{' · swapped' if p.assignment.swapped else ''}"
                )
                left, right = st.columns(2)
                left.caption(f"A: {md_line(p.shown(p.a))}")
                left.code(p.a.raw or "(empty)", language=None, wrap_lines=True)
                right.caption(f"B: {md_line(p.shown(p.b))}")
                right.code(p.b.raw or "(empty)", language=None, wrap_lines=True)
    links = st.columns(2)
    for column, (name, arm) in zip(links, (("A", result.a), ("B", result.b)), strict=True):
        column.page_link(
            "pages/runs.py",
            label=f"Arm {name} on the Runs page",
            icon=":material/table_rows:",
            query_params={"run": arm.run_id},
        )
