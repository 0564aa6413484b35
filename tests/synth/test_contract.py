"""Every file is valid under the contracts (read back by the ingest/outcome readers with zero
rejects), and the files agree with each other."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from linkages.extracts import PERSON_FILE, read_extract
from linkages.ingest.specs import FILES as INGEST_SPECS
from linkages.outcomes.files import ALLEGATION_FILE, FOSTER_CARE_FILE

from .conftest import Files

SPECS = [
    *INGEST_SPECS.items(),
    ("calworks_children.csv", PERSON_FILE),
    ("cws_children.csv", PERSON_FILE),
    ("foster_care.csv", FOSTER_CARE_FILE),
    ("cws_allegations.csv", ALLEGATION_FILE),
]


@pytest.mark.parametrize(("name", "spec"), SPECS, ids=[f"{n}:{s.label}" for n, s in SPECS])
def test_file_reads_back_with_zero_rejects(population: Path, name: str, spec) -> None:
    result = read_extract(population / name, spec)
    assert result.rejections == []
    assert result.read == result.accepted > 0


def test_truth_names_every_record_once(files: Files) -> None:
    truth = files["truth.csv"]
    assert not truth.duplicated(["source", "record_id"]).any()
    for source, name in (("calworks", "calworks_children.csv"), ("cws", "cws_children.csv")):
        ids = set(files[name]["record_id"])
        assert set(truth.loc[truth.source == source, "record_id"]) == ids


def test_records_refer_to_what_exists(files: Files) -> None:
    cws_ids = set(files["cws_children.csv"]["record_id"])
    assert set(files["foster_care.csv"]["child_id"]) <= cws_ids
    assert set(files["cws_allegations.csv"]["child_id"]) <= cws_ids
    assert set(files["cws_case_components.csv"]["child_id"]) <= cws_ids
    cases = set(files["calworks_cases.csv"]["case_id"])
    assert set(files["calworks_children.csv"]["case_id"]) <= cases
    assert set(files["calworks_aid_periods.csv"]["case_id"]) == cases
    assert set(files["calworks_wtw_sanctions.csv"]["case_id"]) <= cases


def test_a_cws_childs_case_id_is_a_case_with_components(files: Files) -> None:
    children = files["cws_children.csv"]
    with_case = children.loc[children.case_id != "", ["record_id", "case_id"]]
    comps = files["cws_case_components.csv"]
    keyed = set(zip(comps.case_id, comps.child_id, strict=True))
    truth = files["truth.csv"].set_index("record_id")["person_id"]
    # A duplicate record carries its person's case, whose components sit on the other record.
    primary_of = (
        children.assign(person=children.record_id.map(truth))
        .groupby("person")["record_id"]
        .agg(set)
    )
    for record_id, case_id in zip(with_case.record_id, with_case.case_id, strict=True):
        records = primary_of[truth[record_id]]
        assert any((case_id, r) in keyed for r in records), (record_id, case_id)


def test_every_cws_child_has_an_allegation_in_the_match_window(files: Files) -> None:
    al = files["cws_allegations.csv"]
    in_window = al.loc[al.referral_received_dt.between("2019-01-01", "2020-12-31")]
    truth = files["truth.csv"]
    cws = truth.loc[truth.source == "cws"]
    persons_with = set(cws.loc[cws.record_id.isin(set(in_window.child_id)), "person_id"])
    assert persons_with == set(cws.person_id)


def test_nothing_happens_on_or_after_the_cutoff(files: Files) -> None:
    cutoff = pd.Timestamp("2025-10-01")
    fc = files["foster_care.csv"]
    for col in ("episode_start", "episode_end", "placement_start", "placement_end"):
        assert not (fc[col] >= cutoff).any(), col
    comps = files["cws_case_components.csv"]
    assert not (comps.component_start >= cutoff).any() and not (comps.component_end >= cutoff).any()
    assert not (files["cws_allegations.csv"].referral_received_dt >= cutoff).any()


def test_truth_stats_json_has_the_contract_shape(population: Path) -> None:
    stats = json.loads((population / "truth_stats.json").read_text())
    assert list(stats) == [
        "left_records",
        "left_persons",
        "left_persons_matched",
        "left_match_rate",
        "right_records",
        "right_persons",
        "right_persons_matched",
        "right_match_rate",
        "right_case_persons",
        "right_case_persons_matched",
        "right_case_match_rate",
    ]
