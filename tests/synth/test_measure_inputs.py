"""The inputs of the California measures that `linkages synth` writes: every file reads without
a rejected row, joins the other files, and gives plausible figures (2B near the published
statewide compliance, visits mostly made, siblings often but not always together)."""

from __future__ import annotations

from pathlib import Path

import pytest

from linkages import codes
from linkages.extracts import read_extract
from linkages.outcomes import compute, prepare
from linkages.outcomes import files as spec
from linkages.synth.measure_inputs import POPULATION_SOURCE

INPUTS = spec.MEASURE_INPUTS


@pytest.fixture(scope="module")
def extract(population: Path) -> dict:
    out = {}
    for name, (_, file, file_spec) in INPUTS.items():
        result = read_extract(population / file, file_spec)
        assert result.rejected == 0, (file, result.rejections[:3])
        out[name] = result.data
    out["allegations"] = read_extract(population / "cws_allegations.csv",
                                      spec.ALLEGATION_FILE).data
    out["fc"] = prepare(read_extract(population / "foster_care.csv",
                                     spec.FOSTER_CARE_FILE).data)
    return out


def percent(extract: dict, code: str, start: str, periods: int = 4) -> float:
    result = compute(code, extract["fc"], start, periods, masked=False,
                     allegations=extract["allegations"],
                     extras={k: extract[k] for k in INPUTS})
    num = sum(p.total.numerator for p in result.periods)
    den = sum(p.total.denominator for p in result.periods)
    assert den > 100, (code, den)
    return num / den * 100


def test_files_join(extract):
    refs = set(extract["referrals"]["referral_id"])
    assert set(extract["contacts"]["referral_id"]) <= refs
    assert refs == set(extract["allegations"]["referral_id"])
    fc_children = set(extract["fc"].children.index)
    assert set(extract["siblings"]["child_id"]) <= fc_children
    assert set(extract["visits"]["child_id"]) <= fc_children


def test_timely_response_near_the_published_statewide_figures(extract):
    assert 93 <= percent(extract, "2B-IMM", "2019-01-01") <= 98
    assert 89 <= percent(extract, "2B-10DAY", "2019-01-01") <= 95
    # 2D is stricter (completed contacts with the child only).
    assert percent(extract, "2D-IMM", "2019-01-01") < percent(extract, "2B-IMM", "2019-01-01")


def test_visits_mostly_made_and_siblings_often_not_always_together(extract):
    assert 88 <= percent(extract, "2F", "2019-01-01", 1) <= 97
    assert 75 <= percent(extract, "2F-LOC", "2019-01-01", 1) <= 95
    some = percent(extract, "4A-SOME", "2019-01-01")
    every = percent(extract, "4A-ALL", "2019-01-01")
    assert 40 <= every <= some <= 85


def test_population_covers_every_county_and_says_it_is_synthetic(extract):
    pop = extract["population"]
    assert set(pop["county_cd"]) == set(codes.county_names())
    assert set(pop["source"]) == {POPULATION_SOURCE}
    assert percent(extract, "ENTRY-RATE", "2019-01-01", 1) > 0
