"""Experiment files: valid files load, every bad key or value is refused in one line."""

import pytest

from playground.experiments import ExperimentError, load_experiment, parse_experiment

BASE = {
    "name": "t",
    "protocol": "debate",
    "dataset": "builtin:reading",
    "roles": {
        "debater": {"model": "local/smollm2", "temperature": 0.7},
        "judge": {"model": "local/smollm2"},
    },
}


def test_shorthand_role_applies_to_both_debaters_and_seat_tables_override():
    exp = parse_experiment(
        {
            **BASE,
            "roles": {
                **BASE["roles"],
                "debater_b": {"model": "openai/gpt-4o-mini", "max_tokens": 50},
            },
        }
    )
    roles = exp.resolved_roles()
    assert roles["debater_a"].model == "local/smollm2"
    assert roles["debater_a"].temperature == 0.7
    assert roles["debater_b"].model == "openai/gpt-4o-mini"
    assert roles["debater_b"].temperature == 0.7  # inherited key by key
    assert roles["debater_b"].max_tokens == 50
    assert roles["judge"].generate_config().params() == {}


def test_options_are_validated_by_the_protocol():
    exp = parse_experiment({**BASE, "options": {"rounds": 2, "swap_positions": True}})
    assert exp.protocol_options().model_dump() == {
        "rounds": 2,
        "swap_positions": True,
        "turn_order": "simultaneous",
        "interactive_judge": False,
        "judge_each_round": False,
        "judges": ["judge"],
        "best_of_n": 1,
        "quotes": "off",
        "scratchpad": False,
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"nmae": "x"},
            "nmae: unknown key (allowed: name, protocol, dataset, limit, items, seed, "
            "tags, concurrency, max_calls, max_cost_usd, max_transcript_cost_usd, max_tokens_total, "
            "cache, batch, batch_poll_s, batch_deadline_s, limits, options, roles)",
        ),
        (
            {"protocol": "duel"},
            "protocol: unknown protocol 'duel' (allowed: blind, consultancy, open_consultancy, debate, open_debate, amplification, consistency, approval, judge_probe)",
        ),
        ({"limit": 0}, "limit: input should be greater than or equal to 1 (got 0)"),
        (
            {"options": {"rounds": 0}},
            "options.rounds: input should be greater than or equal to 1 (got 0)",
        ),
        (
            {"options": {"round": 2}},
            "options.round: unknown key (allowed: swap_positions, judges, rounds, judge_each_round, best_of_n, quotes, scratchpad, turn_order, interactive_judge)",
        ),
        (
            {"roles": {"judge": {"model": "local/smollm2", "temprature": 1}}},
            "roles.judge.temprature: unknown key (allowed: temperature, max_tokens, top_p, seed, stop, "
            "verdict_mode, reasoning_effort, thinking_budget, "
            "model, base_url, prompt, init, votes)",
        ),
        (
            {"roles": {"judge": {"model": "local/smollm2", "temperature": 9}}},
            "roles.judge.temperature: input should be less than or equal to 2 (got 9)",
        ),
        (
            {"roles": {"judge": {"model": "local/smollm2"}}},
            "roles.debater_a: no model given (add [roles.debater_a] or [roles.debater])",
        ),
        (
            {"roles": {**BASE["roles"], "jduge": {"model": "x/y"}}},
            "roles.jduge: unknown role for protocol 'debate' (allowed: debater_a, debater_b, judge, debater)",
        ),
        ({"name": None}, "name: input should be a valid string (got None)"),
    ],
)
def test_bad_values_are_named(change, message):
    data = {**BASE, **change}
    with pytest.raises(ExperimentError) as caught:
        parse_experiment(data)
    assert str(caught.value) == message
    assert "\n" not in str(caught.value)


def test_missing_key():
    data = dict(BASE)
    del data["dataset"]
    with pytest.raises(ExperimentError, match=r"^dataset: required key is missing$"):
        parse_experiment(data)


def test_file_errors_name_the_file(tmp_path):
    with pytest.raises(ExperimentError, match=r"nope\.toml: no such file"):
        load_experiment(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nprotocol = \n')
    with pytest.raises(ExperimentError, match=r"bad\.toml: not valid TOML \(.*line 2"):
        load_experiment(bad)
    wrong = tmp_path / "wrong.toml"
    wrong.write_text(
        'name = "x"\nprotocol = "debate"\ndataset = "builtin:reading"\nlimit = "ten"\n'
    )
    with pytest.raises(
        ExperimentError, match=r"wrong\.toml: limit: input should be a valid integer"
    ):
        load_experiment(wrong)


def test_parameters_a_model_cannot_honour_are_refused_before_the_run(monkeypatch):
    from playground.experiments import build_seats
    from playground.providers import Credentials

    exp = parse_experiment(
        {
            **BASE,
            "roles": {**BASE["roles"], "judge": {"model": "anthropic/claude-x", "temperature": 0}},
        }
    )
    with pytest.raises(ExperimentError) as caught:
        build_seats(exp, Credentials({"anthropic": "k-test"}))
    assert str(caught.value) == (
        "roles.judge: anthropic/claude-x: the Anthropic API no longer accepts temperature; "
        "remove it from this role"
    )
