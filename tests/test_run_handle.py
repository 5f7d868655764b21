"""The run handle every caller uses: a run on its own thread and event loop, its events kept in
order, cancelled from another thread (``interrupted``), a person's seat answered through its desk,
and a failure inside the run shown as ``failed`` with a one-line error; plus the run options."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from playground.events import RunStarted, TextDelta, TranscriptFinished, VerdictReached
from playground.experiments import HumanAsked, RunHandle, RunOptions, RunRegistry, parse_experiment
from playground.experiments.fork import fork
from playground.providers import Credentials
from playground.providers.human import HUMAN, judgement_reply
from playground.providers.scripted import ScriptedModel, register_script


def debate(limit: int = 2, judge: str = "scripted/handle-judge", concurrency: int = 4):
    register_script("handle-deb", lambda: ScriptedModel(["My answer is right."], delay=0.01))
    register_script("handle-judge", lambda: ScriptedModel(["Answer: A\nConfidence: 70"]))
    register_script("handle-slow", lambda: ScriptedModel(["Mine."], delay=0.2))
    return parse_experiment(
        {
            "name": "handle",
            "protocol": "debate",
            "dataset": "builtin:reading",
            "limit": limit,
            "concurrency": concurrency,
            "options": {"rounds": 1, "swap_positions": False},
            "roles": {"debater": {"model": "scripted/handle-deb"}, "judge": {"model": judge}},
        }
    )


def wait_for(condition, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_start_runs_on_its_own_thread_and_keeps_every_event(store):
    seen, started = [], []
    handle = RunHandle.for_experiment(
        debate(), store, RunOptions(sink=seen.append, on_start=started.append), stream=True
    )
    run_id = handle.start()
    assert run_id and started == [run_id] and store.get_run(run_id) is not None
    assert handle.join(30) and handle.status == "done" and handle.error is None
    assert handle.summary is not None and handle.summary.info.id == run_id
    assert handle.outcome() is handle.summary
    events = handle.events()
    assert events == seen  # the caller's sink saw the same events, in the same order
    assert isinstance(events[0], RunStarted) and events[0].total == 2
    assert sum(isinstance(e, TranscriptFinished) for e in events) == 2
    assert any(isinstance(e, TextDelta) for e in events)  # streamed: a watcher gets the text
    assert handle.events(len(events) - 1) == events[-1:]
    p = handle.progress
    assert (p.total, p.done, p.counts["ok"]) == (2, 2, 2)
    assert store.get_run(run_id).status == "done" and store.get_run(run_id).source == "library"


def test_without_keep_events_only_counts(store):
    handle = RunHandle.for_experiment(debate(), store, keep_events=False, source="cli")
    run_id = handle.start()
    handle.join(30)
    assert handle.events() == [] and handle.progress.done == 2
    assert store.get_run(run_id).source == "cli"


def test_cancel_from_another_thread_interrupts_the_run(store):
    exp = debate(limit=6, judge="scripted/handle-slow", concurrency=1)
    handle = RunHandle.for_experiment(exp, store)
    run_id = handle.start()
    wait_for(lambda: handle.progress.done >= 1)
    threading.Thread(target=handle.cancel).start()
    assert handle.join(30)
    assert handle.status == "interrupted" and handle.error is None
    assert store.get_run(run_id).status == "interrupted"
    assert 1 <= len(list(store.iter_records(run_id))) < 6  # what completed stays recorded
    with pytest.raises(asyncio.CancelledError):
        handle.outcome()


def test_cancel_before_the_loop_starts_records_nothing(store):
    handle = RunHandle.for_experiment(debate(), store)
    handle.cancel()
    assert handle.start() is None
    assert handle.join(10) and handle.status == "interrupted"
    assert store.list_runs() == []


def test_a_person_in_the_judge_seat_answers_through_the_desk(store):
    exp = debate(limit=1, judge=HUMAN)
    handle = RunHandle.for_experiment(exp, store, humans=("judge",))
    run_id = handle.start()
    wait_for(lambda: bool(handle.pending()))
    [request] = handle.pending()
    assert request.seat == "judge" and request.kind == "judgement"
    asked = [e for e in handle.events() if isinstance(e, HumanAsked)]
    assert [e.request_id for e in asked] == [request.id]  # the log marks where it was asked
    assert handle.status == "running" and not handle.finished
    assert handle.answer(request.id, judgement_reply("B", 85))
    assert not handle.answer(request.id, "again")  # answered: no longer waiting
    assert handle.join(30) and handle.status == "done"
    [record] = store.iter_records(run_id)
    assert record.verdict.status == "ok" and record.verdict.choice == 1
    assert record.verdict.raw == judgement_reply("B", 85)
    judge_turn = next(t for t in record.turns if t.role == "judge")
    assert judge_turn.model == HUMAN and judge_turn.input_tokens is None


def test_cancel_withdraws_a_persons_waiting_turn(store):
    handle = RunHandle.for_experiment(debate(limit=1, judge=HUMAN), store, humans=("judge",))
    run_id = handle.start()
    wait_for(lambda: bool(handle.pending()))
    [request] = handle.pending()
    handle.cancel()
    assert handle.join(30) and handle.status == "interrupted"
    assert handle.pending() == [] and not handle.answer(request.id, judgement_reply("A", 60))
    assert store.get_run(run_id).status == "interrupted"


def test_a_failure_inside_the_run_is_a_failed_status_with_one_line(store):
    secret = "sk-handle-secret-0123456789abcdef"

    async def work(options: RunOptions) -> None:
        await asyncio.sleep(0)
        raise RuntimeError(f"the store went away\nwhile writing with {secret}")

    handle = RunHandle(work, credentials=Credentials({"openai": secret}))
    assert handle.start() is None  # it ended before any run was recorded
    assert handle.join(10) and handle.status == "failed"
    assert handle.error is not None and "\n" not in handle.error
    assert handle.error.startswith("RuntimeError: the store went away while writing with")
    assert secret not in handle.error  # keys never reach what a page or a log shows
    assert isinstance(handle.exception, RuntimeError)
    with pytest.raises(RuntimeError, match="the store went away"):
        handle.outcome()


def test_a_setting_error_is_shown_as_it_is(store):
    exp = debate()
    exp.dataset = "builtin:nope"
    handle = RunHandle.for_experiment(exp, store)
    assert handle.start() is None and handle.join(10)
    assert handle.status == "failed" and "builtin:nope" in handle.error
    assert not handle.error.startswith("DatasetError")  # one line, no type name: it is a setting


def test_a_fork_through_the_handle_is_recorded_and_can_be_interrupted(store):
    handle = RunHandle.for_experiment(debate(limit=1), store)
    handle.start()
    handle.join(30)
    [original] = store.transcripts_of(handle.run_id)
    changes = {"roles": {"judge": {"model": "scripted/handle-slow"}}}
    rejudge = RunHandle(lambda o: fork(store, original.id, o, changes=changes), source="page")
    child_id = rejudge.start()
    assert child_id and child_id != handle.run_id
    rejudge.join(30)
    assert rejudge.status == "done" and rejudge.summary.info.id == child_id
    assert any(isinstance(e, VerdictReached) for e in rejudge.events())
    again = RunHandle(lambda o: fork(store, original.id, o, at_turn=0, changes=changes))
    again_id = again.start()
    again.cancel()
    assert again.join(30) and again.status == "interrupted"
    assert store.get_run(again_id).status == "interrupted"


def test_registry_finds_handles_and_drops_the_oldest_finished():
    async def nothing(options: RunOptions) -> int:
        return 1

    registry = RunRegistry(keep=2)
    handles = [registry.add(RunHandle(nothing)) for _ in range(3)]
    for h in handles:
        h.start()
        h.join(10)
    assert registry.get(handles[2].id) is handles[2] and handles[2].outcome() == 1
    registry.add(RunHandle(nothing))
    assert registry.get(handles[0].id) is None and registry.get(None) is None


def test_run_options_take_keywords_and_refuse_unknown_ones(store):
    base = RunOptions(source="page", stream=True)
    assert base.merged(stream=False).stream is False and base.merged().source == "page"
    with pytest.raises(TypeError, match="'sinks'"):
        RunHandle.for_experiment(debate(), store, sinks=print)
