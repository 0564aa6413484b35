"""The seed-004 statistics, computed here from truth.csv and the person files (not from
truth_stats.json), land on 14% / 36% / 47%, and truth_stats.json says the same."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import SCALE, Files


@pytest.fixture(scope="module")
def computed(files: Files) -> dict[str, float]:
    truth = files["truth.csv"]
    cw = truth.loc[truth.source == "calworks"]
    cws = truth.loc[truth.source == "cws"].merge(
        files["cws_children.csv"][["record_id", "case_id"]], on="record_id"
    )
    left, right = set(cw.person_id), set(cws.person_id)
    case = set(cws.loc[cws.case_id != "", "person_id"])
    return {
        "left_records": len(cw),
        "left_persons": len(left),
        "left_persons_matched": len(left & right),
        "right_records": len(cws),
        "right_persons": len(right),
        "right_persons_matched": len(left & right),
        "right_case_persons": len(case),
        "right_case_persons_matched": len(case & left),
        "left_match_rate": len(left & right) / len(left),
        "right_match_rate": len(left & right) / len(right),
        "right_case_match_rate": len(case & left) / len(case),
    }


def test_three_rates_within_one_point(computed: dict[str, float]) -> None:
    assert computed["left_match_rate"] == pytest.approx(0.14, abs=0.01)
    assert computed["right_match_rate"] == pytest.approx(0.36, abs=0.01)
    assert computed["right_case_match_rate"] == pytest.approx(0.47, abs=0.01)


def test_counts_scale_from_the_statewide_figures(computed: dict[str, float]) -> None:
    assert computed["left_persons"] == round(1_785_978 * SCALE)
    assert computed["right_persons"] == round(690_593 * SCALE)
    assert computed["right_case_persons"] == round(126_270 * SCALE)
    # CWS children with a case: about 18% of CWS children.
    assert computed["right_case_persons"] / computed["right_persons"] == pytest.approx(
        0.18, abs=0.01
    )


def test_truth_stats_json_agrees(population: Path, computed: dict[str, float]) -> None:
    stats = json.loads((population / "truth_stats.json").read_text())
    for key, value in computed.items():
        assert stats[key] == pytest.approx(value, abs=1e-6), key


def test_duplicates_make_records_outnumber_persons(computed: dict[str, float]) -> None:
    left_dup = computed["left_records"] / computed["left_persons"] - 1
    right_dup = computed["right_records"] / computed["right_persons"] - 1
    assert 0.01 <= left_dup <= 0.04
    assert 0.03 <= right_dup <= 0.08
    assert right_dup > left_dup
