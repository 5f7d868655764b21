"""Clustering by item metadata: a QuALITY run's verdicts carry their article (``item.<key>``
columns in the verdict frame), and the clustered intervals resample every question on one
passage together; checked against the clustered standard error worked out by hand, in the
library, the report, `playground report --cluster` and the Analysis page."""

from __future__ import annotations

import asyncio
import json
import math
import re

import pandas as pd
import pytest
from click.testing import CliRunner
from test_datasets_formats import quality_article, quality_question
from test_pages import single_page

from playground.analysis import build_report, load_frames
from playground.analysis.paired import (
    cluster_column,
    cluster_labels,
    clustered_accuracy,
    item_fields,
    paired_comparisons,
)
from playground.cli import cli
from playground.experiments import parse_experiment, run_experiment
from playground.providers.scripted import ScriptedModel

RIGHT = {1: True, 2: True, 3: False, 4: False, 5: False, 6: True}
"""Whether the judge picks the true answer, per question number. Articles: 100 holds
questions 1–3, 200 holds 4–5, 300 holds 6."""
GOLD = {n: 1 + n % 4 for n in RIGHT}


def judge_reply(messages, config) -> str:
    """Picks the label of the true answer (``option n.<gold>``) on the questions in `RIGHT`,
    the other label elsewhere."""
    text = messages[-1].content
    n = int(re.search(r"Question (\d+) about", text).group(1))
    labels = dict(re.findall(r"Answer ([AB]): (.+)", text))
    true = next(label for label, answer in labels.items() if answer == f"option {n}.{GOLD[n]}")
    pick = true if RIGHT[n] else ({"A", "B"} - {true}).pop()
    return f"Answer: {pick}\nConfidence: 70"


@pytest.fixture
def quality_run(store, tmp_path):
    path = tmp_path / "QuALITY.v1.0.1.htmlstripped.dev"
    articles = [
        quality_article("100", "100_X", [quality_question(n, GOLD[n], 0) for n in (1, 2, 3)]),
        quality_article("200", "200_X", [quality_question(n, GOLD[n], 1) for n in (4, 5)]),
        quality_article("300", "300_X", [quality_question(6, GOLD[6], 0)]),
    ]
    path.write_text("".join(json.dumps(a) + "\n" for a in articles))
    db = tmp_path / "log.db"  # the store fixture's, which the pages read too
    exp = parse_experiment({
        "name": "q", "protocol": "blind", "dataset": f"quality:{path}", "seed": 3,
        "roles": {"judge": {"model": "scripted/j"}},
    })  # fmt: skip
    asyncio.run(run_experiment(exp, store, models={"judge": ScriptedModel(judge_reply)}))
    return store, db


def test_the_verdict_frame_carries_the_items_metadata_fields(quality_run):
    store, _ = quality_run
    v = load_frames(store).verdicts
    assert {"article_id", "set_unique_id", "title", "difficult", "source"} <= set(item_fields(v))
    by_item = v.drop_duplicates("item_id").set_index("item_id")
    assert by_item.loc["52995_I3M5VUMM_4", "item.article_id"] == "200"
    assert by_item.loc["52995_I3M5VUMM_4", "item.difficult"] == "1"  # numbers as JSON text
    assert by_item.loc["52995_I3M5VUMM_6", "item.article_id"] == "300"
    assert sorted(v["item.article_id"].unique()) == ["100", "200", "300"]


def test_clustered_accuracy_by_article_by_hand(quality_run):
    store, _ = quality_run
    v = load_frames(store).verdicts
    ok = v[v["status"] == "ok"]
    n, copies = len(ok), len(ok) // 6  # every question judged the same way in each copy
    assert n == 6 * copies and ok["is_correct"].sum() == 3 * copies
    # mean .5; per-article deviation sums: 100: (.5 + .5 − .5)c, 200: −c, 300: .5c
    # → Σ² = 1.5c², G = 3: SE = √(1.5c² · 3/2) / 6c = 1.5/6 = 0.25 whatever c is
    (row,) = clustered_accuracy(v, "item.article_id", reps=100).to_dict("records")
    assert (row["n"], row["k"], row["rate"], row["clusters"]) == (n, n // 2, 0.5, 3)
    assert row["se_clustered"] == pytest.approx(0.25)
    # by item: six clusters, deviations ±.5c each → Σ² = 1.5c², G = 6
    (by_item,) = clustered_accuracy(v, reps=0).to_dict("records")
    assert by_item["clusters"] == 6
    assert by_item["se_clustered"] == pytest.approx(math.sqrt(1.5 * 6 / 5) / 6)


def test_an_item_without_the_field_is_its_own_cluster():
    v = pd.DataFrame({"item.article_id": ["a", "a", None, None, "b"], "item_key": [0, 1, 2, 3, 4]})
    labels = cluster_labels(v, "item.article_id")
    assert labels[0] == labels[1] != labels[4]
    assert labels[2] != labels[3]  # two items lacking the field are not pooled into one
    assert len(set(labels)) == 4


def test_cluster_names_resolve_and_a_wrong_one_names_the_fields(quality_run):
    store, _ = quality_run
    v = load_frames(store).verdicts
    assert cluster_column(v, "item") == "item_key"
    assert cluster_column(v, "article_id") == "item.article_id"
    assert cluster_column(v, "item.article_id") == "item.article_id"
    assert cluster_column(v, "run_id") == "run_id"
    with pytest.raises(
        ValueError, match=r"no item field or column 'passage' \(item fields: .*article_id"
    ):
        cluster_column(v, "passage")
    with pytest.raises(ValueError, match="no column 'passage'"):
        paired_comparisons(v, cluster="passage")


def test_the_report_and_the_cli_cluster_by_article(quality_run):
    store, db = quality_run
    sections = {s.key: s for s in build_report(load_frames(store), reps=20, cluster="article_id")}
    table = sections["paired"].tables["clustered_accuracy"]
    assert table.iloc[0]["clusters"] == 3 and table.iloc[0]["se_clustered"] == pytest.approx(0.25)
    assert "clusters = article_id" in sections["paired"].about
    args = ["--db", str(db), "report", "--section", "paired", "--reps", "10"]
    out = CliRunner().invoke(cli, [*args, "--cluster", "article_id"])
    assert out.exit_code == 0, out.output
    assert "clusters = article_id" in out.output and "0.25" in out.output
    bad = CliRunner().invoke(cli, [*args, "--cluster", "passage"])
    assert bad.exit_code == 2
    assert "no item field or column 'passage'" in bad.output and "article_id" in bad.output


def test_the_analysis_page_clusters_by_the_field_picked(quality_run, tmp_path):
    at = single_page(tmp_path, "analysis.py", "Analysis").run()
    assert not at.exception
    picker = at.selectbox(key="an.cluster")
    assert picker.options[0].startswith("item (") and "item article_id" in picker.options

    def clustered():
        frames = [d.value for d in at.dataframe if "se_clustered" in d.value.columns]
        return frames[0].iloc[0]

    assert clustered()["clusters"] == 6
    picker.set_value("article_id").run()
    assert not at.exception
    assert clustered()["clusters"] == 3 and clustered()["se_clustered"] == pytest.approx(0.25)
    assert any("clusters = article_id" in c.value for c in at.caption)
