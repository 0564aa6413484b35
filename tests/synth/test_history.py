"""The CWS history is plausible: the outcome-measure targets of the brief, computed with the
simple measures of ``simple_measures.py``, pooled over the years with full follow-up."""

from __future__ import annotations

import pandas as pd
import pytest

from linkages.codes import exit_type_series, placement_type_series

from . import simple_measures as m
from .conftest import SCALE, Files

YEARS = range(2016, 2024)  # entry cohorts with a full 12+12 months of follow-up before the cutoff


@pytest.fixture(scope="module")
def episodes(files: Files) -> pd.DataFrame:
    return m.episodes(files["foster_care.csv"])


def _pooled(func, *args) -> float:
    num = den = 0
    for year in YEARS:
        a, b = func(*args, year)
        num, den = num + a, den + b
    assert den > 0
    return 100 * num / den


def test_about_25000_entries_a_year_statewide(episodes: pd.DataFrame) -> None:
    per_year = [m.entries(episodes, y) / SCALE for y in range(2015, 2025)]
    assert all(20_000 <= n <= 30_000 for n in per_year), per_year
    assert sum(per_year) / len(per_year) == pytest.approx(25_000, rel=0.08)


def test_permanency_within_12_months_of_entry(episodes: pd.DataFrame) -> None:
    assert 30 <= _pooled(m.p1, episodes) <= 40


def test_reentry_within_12_months_of_reunification(episodes: pd.DataFrame) -> None:
    assert 9.5 <= _pooled(m.p4, episodes) <= 12.5


def test_recurrence_of_substantiated_maltreatment(files: Files) -> None:
    assert 7 <= _pooled(m.s2, files["cws_allegations.csv"], files["cws_children.csv"]) <= 10


def test_placement_moves_per_1000_days(files: Files) -> None:
    rates = [m.p5(files["foster_care.csv"], y) for y in YEARS]
    assert all(2.5 <= r <= 5.5 for r in rates), rates
    assert 3 <= sum(rates) / len(rates) <= 5


def test_dispositions(files: Files) -> None:
    disp = files["cws_allegations.csv"].disposition.value_counts(normalize=True)
    assert 0.15 <= disp["substantiated"] <= 0.25
    assert {"inconclusive", "unfounded", ""} <= set(disp.index)


def test_referrals_before_and_after_the_window(files: Files) -> None:
    al = files["cws_allegations.csv"]
    year = al.referral_received_dt.dt.year
    assert (year < 2019).mean() > 0.1 and (year > 2020).mean() > 0.1
    per_referral = al.groupby("referral_id").child_id.nunique()
    assert (per_referral > 1).sum() > 50  # siblings on one referral


def test_case_components_follow_er_fm_fr_pp(files: Files) -> None:
    comps = files["cws_case_components.csv"]
    assert set(comps.service_component) == {"ER", "FM", "FR", "PP"}
    per = (
        comps.sort_values("component_start")
        .groupby(["case_id", "child_id"])
        .service_component.agg("".join)
    )
    assert per.iloc[0].startswith("ER") and (per.str.startswith("ER")).all()
    assert {"ERFM", "ERFR", "ERFRFM", "ERFRPP"} <= set(per)
    open_ = comps.component_end.isna()
    assert 0.02 < open_.mean() < 0.3
    fr = comps.loc[comps.service_component == "FR"]
    days = (fr.component_end - fr.component_start).dt.days
    assert 150 <= days.median() <= 450


def test_foster_history_spans_2014_to_the_cutoff(files: Files, episodes: pd.DataFrame) -> None:
    fc = files["foster_care.csv"]
    assert fc.episode_start.min() < pd.Timestamp("2014-06-01")
    assert fc.episode_start.max() > pd.Timestamp("2025-06-01")
    in_care_2018 = episodes.loc[(episodes.start < "2018-01-01") & ~(episodes.end < "2018-01-01")]
    long = (pd.Timestamp("2018-01-01") - in_care_2018.start).dt.days
    assert ((long >= 365) & (long < 730)).sum() > 50 and (long >= 730).sum() > 50


def test_exits_reentries_short_stays_open_episodes_and_aging_out(episodes: pd.DataFrame) -> None:
    exits = exit_type_series(episodes.term).value_counts()
    assert {"reunified", "guardianship", "adoption", "emancipation", "other"} <= set(exits.index)
    assert set(episodes.term) >= {"5439", "5440", "5513", "5434", "5516", "5433", "5441"}
    assert episodes.duplicated("child_id").sum() > 0.05 * episodes.child_id.nunique()  # re-entries
    assert ((episodes.los < 8) & episodes.end.notna()).sum() >= 10
    assert episodes.end.isna().sum() > 100
    aged_out = episodes.loc[episodes.exit == "emancipation"]
    # birth_dt is the CWS/CMS client's recorded birth date, errors and all: nearly all, not all.
    assert (aged_out.age_exit >= 17.99).mean() > 0.95 and len(aged_out) >= 20


def test_agencies_include_probation_and_excluded_types(files: Files) -> None:
    agency = (
        files["foster_care.csv"]
        .drop_duplicates("episode_id")
        .agency_cd.value_counts(normalize=True)
    )
    assert agency.index[0] == "34" and agency["34"] > 0.8
    assert {"33", "5603"} <= set(agency.index)
    excluded = {"35", "5604", "36", "5605", "6133", "6134"}
    assert 0.005 < agency.reindex(list(excluded)).fillna(0).sum() < 0.05


def test_placements_cover_the_settings_and_rfa_homes(files: Files) -> None:
    fc = files["foster_care.csv"]
    kinds = placement_type_series(
        fc.facility_type_cd, fc.caregiver_relationship_cd, fc.placement_change_reason_cd
    ).value_counts()
    for kind in (
        "Relative/NREFM",
        "Foster",
        "FFA",
        "Group/STRTP",
        "Shelter",
        "Runaway",
        "Trial Home Visit",
        "Pre-Adopt",
        "Court Specified",
        "Guardian",
        "SILP",
    ):
        assert kinds.get(kind, 0) > 0, kind
    rfa = fc.loc[fc.facility_type_cd.isin(["6914", "6915"])]
    assert rfa.placement_start.min() >= pd.Timestamp("2017-01-01")
    relative = rfa.caregiver_relationship_cd.isin(["1638", "1639", "6990", "6991"])
    assert relative.mean() > 0.2 and (~relative).mean() > 0.2
    assert set(fc.facility_type_cd) >= {"1417", "6916", "1418", "7027"}
    assert (fc.placement_change_reason_cd == "1431").sum() > 5
    assert (fc.placement_change_reason_cd == "1440").sum() > 20


def test_foster_children_are_cws_children_with_a_plausible_age(
    files: Files, episodes: pd.DataFrame
) -> None:
    age = episodes.age_entry
    assert (age >= 0).all() and (age < 18).mean() > 0.995
    assert 0.12 < (age < 1).mean() < 0.30
    assert set(episodes.child_id) <= set(files["cws_children.csv"].record_id)


def test_wtw_sanctions_agree_with_each_cases_status_and_aid(files: Files) -> None:
    """A case in sanction has exactly one sanction in force; no other case has one; a case's
    sanctions never overlap and lie within its aid; some cured ones last past 6 months."""
    s = files["calworks_wtw_sanctions.csv"]
    cases = files["calworks_cases.csv"].set_index("case_id")
    in_force = s.sanction_end.isna()
    assert set(s.loc[in_force, "case_id"]) == set(cases.index[cases.wtw_status == "sanction"])
    assert not s.loc[in_force, "case_id"].duplicated().any()
    assert (s.sanction_start < pd.Timestamp("2025-10-01")).all()
    assert (s.sanction_end.dropna() < pd.Timestamp("2025-10-01")).all()
    ordered = s.sort_values(["case_id", "sanction_start"])
    previous_end = ordered.groupby("case_id")["sanction_end"].shift()
    assert not (ordered.sanction_start <= previous_end).any()
    aid = files["calworks_aid_periods.csv"].groupby("case_id")["aid_start"].min()
    assert (s.sanction_start >= s.case_id.map(aid)).all()
    days = (s.sanction_end - s.sanction_start).dt.days.dropna()
    assert 0.5 < (days <= 182).mean() < 0.95
    # Cases out of compliance now were sanctioned before more often than participating ones.
    ever = cases.index.isin(s.loc[~in_force, "case_id"])
    rate = pd.Series(ever, index=cases.index).groupby(cases.wtw_status).mean()
    assert rate["non_compliance"] > rate["participating"] > rate[""]
