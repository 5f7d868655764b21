"""Team library: first sign-in owns the store, the owner invites/changes/removes people, the
audit trail records it, rater pseudonyms are stable per store; on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from playground.store import Store
from playground.team import audit, people, raters


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request, tmp_path):
    if request.param == "sqlite":
        yield Store(str(tmp_path / "team.db"))
    else:
        yield Store(request.getfixturevalue("fresh_postgres_url"))


def test_first_sign_in_owns_then_only_invited_people_get_in(any_store):
    owner = people.sign_in(any_store, "  Ada@Example.ORG ", "Ada")
    assert owner is not None and owner.email == "ada@example.org" and owner.role == "owner"
    assert people.sign_in(any_store, "mallory@example.org") is None
    people.invite(any_store, "Bob@example.org", "annotator", by="ada@example.org")
    bob = people.sign_in(any_store, "bob@example.org", "Bob")
    assert bob is not None and bob.role == "annotator" and bob.last_sign_in is not None
    # a second sign-in of the owner keeps them owner
    assert people.sign_in(any_store, "ada@example.org").role == "owner"
    actions = [(e.actor, e.action, e.target) for e in audit.events(any_store)]
    assert actions[:2] == [
        ("ada@example.org", "owner.claim", "ada@example.org"),
        ("ada@example.org", "person.sign_in", "ada@example.org"),
    ]
    assert ("ada@example.org", "person.invite", "bob@example.org") in actions
    assert ("mallory@example.org", "person.sign_in", "mallory@example.org") not in actions


def test_owner_changes_and_removes_and_others_may_not(any_store):
    people.sign_in(any_store, "ada@example.org")
    people.invite(any_store, "bob@example.org", "annotator", by="ada@example.org")
    people.invite(any_store, "cy@example.org", "researcher", by="ada@example.org")
    with pytest.raises(people.TeamError, match="only the owner"):
        people.invite(any_store, "eve@example.org", "researcher", by="cy@example.org")
    with pytest.raises(people.TeamError, match="on the team already"):
        people.invite(any_store, "BOB@example.org", "researcher", by="ada@example.org")
    with pytest.raises(people.TeamError, match="choose one of researcher, annotator"):
        people.invite(any_store, "dan@example.org", "owner", by="ada@example.org")
    with pytest.raises(people.TeamError, match="not an email address"):
        people.invite(any_store, "not an email", "annotator", by="ada@example.org")
    assert people.set_role(
        any_store, "bob@example.org", "researcher", by="ada@example.org"
    ).role == ("researcher")
    with pytest.raises(people.TeamError, match="owner's role does not change"):
        people.set_role(any_store, "ada@example.org", "annotator", by="ada@example.org")
    people.remove(any_store, "cy@example.org", by="ada@example.org")
    assert [p.email for p in people.everyone(any_store)] == ["ada@example.org", "bob@example.org"]
    role_change = audit.events(any_store, action_prefix="person.role")
    assert [(e.target, e.detail) for e in role_change] == [
        ("bob@example.org", {"from": "annotator", "to": "researcher"})
    ]
    assert [e.target for e in audit.events(any_store, action_prefix="person.remove")] == [
        "cy@example.org"
    ]


def test_simultaneous_first_sign_ins_make_exactly_one_owner(any_store):
    url = any_store.url.render_as_string(hide_password=False)
    emails = [f"p{i}@example.org" for i in range(6)]
    results: dict[str, object] = {}
    barrier = threading.Barrier(len(emails))

    def go(email: str) -> None:
        store = Store(url)  # each its own engine, as separate app processes would be
        barrier.wait()
        results[email] = people.sign_in(store, email)

    threads = [threading.Thread(target=go, args=(e,)) for e in emails]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    owners = [e for e, p in results.items() if p is not None]
    assert len(owners) == 1
    assert [(p.email, p.role) for p in people.everyone(any_store)] == [(owners[0], "owner")]


def test_audit_record_api_and_refusals(any_store):
    audit.record(any_store, "Ada@Example.org", "study.create", "s1", {"k": 3})
    audit.record(any_store, "ada@example.org", "study.close", "s1")
    audit.record(any_store, "bob@example.org", "task.judge", "s1/t1", {"verdict_id": "v1"})
    got = audit.events(any_store, target="s1")
    assert [(e.actor, e.action, e.detail) for e in got] == [
        ("ada@example.org", "study.create", {"k": 3}),
        ("ada@example.org", "study.close", {}),
    ]
    assert all(e.at.tzinfo is not None for e in got)
    assert [e.action for e in audit.events(any_store, actor="BOB@example.org")] == ["task.judge"]
    assert [e.action for e in audit.events(any_store, limit=1)] == ["task.judge"]
    # a LIKE wildcard in the prefix is literal
    assert audit.events(any_store, action_prefix="study%") == []
    with pytest.raises(ValueError, match="actor is empty"):
        audit.record(any_store, " ", "study.create", "s1")


def test_rater_pseudonyms_are_stable_per_store_and_differ_across_stores(any_store, tmp_path):
    a = raters.pseudonym(any_store, "Ada@example.org")
    assert (
        a
        == raters.pseudonym(any_store, "ada@example.org")
        == raters.pseudonymiser(any_store)("ada@example.org")
    )
    assert a.startswith("rater-") and len(a) == len("rater-") + 12 and "ada" not in a
    assert raters.pseudonym(any_store, "bob@example.org") != a
    # the salt is kept: a new Store on the same database gives the same id
    again = Store(any_store.url.render_as_string(hide_password=False))
    assert raters.pseudonym(again, "ada@example.org") == a
    other = Store(str(tmp_path / "other.db"))
    assert raters.pseudonym(other, "ada@example.org") != a


def test_runs_have_a_created_by_column(store):
    with store.engine.connect() as conn:
        cols = {c["name"] for c in sa.inspect(conn).get_columns("runs")}
    assert "created_by" in cols


def test_a_run_records_who_started_it_through_its_options(store, tiny_dataset):
    import asyncio

    from playground.experiments import parse_experiment, run_experiment
    from playground.providers.scripted import ScriptedModel

    def reply(messages, config):
        return "Answer: A" if "judge" in messages[0].content.lower() else "My answer is right."

    exp = parse_experiment(
        {
            "name": "who",
            "protocol": "debate",
            "dataset": str(tiny_dataset),
            "options": {"rounds": 1},
            "roles": {"debater": {"model": "scripted/x"}, "judge": {"model": "scripted/x"}},
        }
    )
    model = ScriptedModel(reply)
    models = {"debater_a": model, "debater_b": model, "judge": model}
    signed = asyncio.run(run_experiment(exp, store, models=models, created_by="ada@example.org"))
    local = asyncio.run(run_experiment(exp, store, models=models))
    assert store.get_run(signed.info.id).created_by == "ada@example.org"
    assert store.get_run(local.info.id).created_by is None
