"""Each thing that makes California linkage hard is in the data, on true pairs (a CalWORKs
record and a CWS record of the same child) or within a source."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from rapidfuzz.distance import DamerauLevenshtein

from linkages.codes import ethnic_group_series
from linkages.config import config_dir
from linkages.synth.params import load
from linkages.synth.population import build, counts_for

from .conftest import Files

_PLAIN = str.maketrans("ÁÉÍÓÚÜÑ", "AEIOUUN")


def _plain(s: pd.Series) -> pd.Series:
    return s.str.translate(_PLAIN)


def test_double_surname_in_full_on_one_side_one_of_them_on_the_other(pairs: pd.DataFrame) -> None:
    cw, cws = _plain(pairs.last_name_cw), _plain(pairs.last_name_cws)
    cw_parts = cw.str.split(r"[ -]")
    cws_parts = cws.str.split(r"[ -]")
    first_kept = (cw_parts.str.len() == 2) & (cws == cw_parts.str[0])
    second_kept = (cw_parts.str.len() == 2) & (cws == cw_parts.str[1])
    either_way = (cws_parts.str.len() == 2) & ((cw == cws_parts.str[0]) | (cw == cws_parts.str[1]))
    assert first_kept.sum() >= 20 and second_kept.sum() >= 5 and either_way.sum() >= 3


def test_hyphenated_surname_against_space_or_single(pairs: pd.DataFrame) -> None:
    hy_cws = pairs.last_name_cws.str.contains("-") & ~pairs.last_name_cw.str.contains("-")
    hy_cw = pairs.last_name_cw.str.contains("-") & ~pairs.last_name_cws.str.contains("-")
    assert hy_cws.sum() >= 5 and hy_cw.sum() >= 3


def test_particle_surnames_and_their_variants(files: Files, pairs: pd.DataFrame) -> None:
    particle = r"^(?:DE LA|DE LOS|DEL|DE|DELA|DELOS) "
    for name in ("calworks_children.csv", "cws_children.csv"):
        assert files[name].last_name.str.contains(particle).sum() >= 3
    squeezed = pairs.last_name_cw.str.contains(particle) & (
        _plain(pairs.last_name_cws) == _plain(pairs.last_name_cw).str.replace(" ", "")
    )
    assert (
        files["cws_children.csv"]
        .last_name.str.match(
            r"^(DELACRUZ|DELEON|DELAROSA|DELATORRE|DEJESUS"
            r"|DELRIO|DELOSSANTOS|DELTORO|DELAGARZA)"
        )
        .sum()
        >= 1
    )
    assert squeezed.sum() + pairs.last_name_cw.str.contains(particle).sum() >= 3


def test_accents_on_one_side_stripped_on_the_other(pairs: pd.DataFrame) -> None:
    for col in ("first_name", "last_name"):
        a, b = pairs[f"{col}_cw"], pairs[f"{col}_cws"]
        stripped = (a != b) & (_plain(a) == _plain(b))
        assert stripped.sum() >= 5, col
    assert pairs.last_name_cw.str.contains("Ñ").sum() >= 3


def test_apostrophe_surnames_exist(files: Files) -> None:
    both = pd.concat(
        [files["calworks_children.csv"].last_name, files["cws_children.csv"].last_name]
    )
    assert both.str.contains("'").sum() >= 1
    assert both.str.match(r"^O(NEAL|BRIEN|CONNOR|DONNELL| NEAL| BRIEN)$").sum() >= 1


def test_nicknames_english_and_spanish(pairs: pd.DataFrame) -> None:
    table = pd.read_csv(config_dir() / "synth" / "nicknames.csv", dtype=str, keep_default_na=False)
    table["name"] = _plain(table["name"])
    table["variant"] = _plain(table["variant"])
    known = set(zip(table.name, table.variant, strict=True))
    lang = dict(zip(zip(table.name, table.variant, strict=True), table.language, strict=True))
    a, b = _plain(pairs.first_name_cw), _plain(pairs.first_name_cws)
    found = [
        (x, y) if (x, y) in known else (y, x)
        for x, y in zip(a, b, strict=True)
        if x != y and ((x, y) in known or (y, x) in known)
    ]
    assert len(found) >= 10
    assert {lang[f] for f in found} == {"english", "spanish"}


def test_compound_first_name_split_into_first_and_middle(pairs: pd.DataFrame) -> None:
    a = _plain(pairs.first_name_cw)
    b = _plain(pairs.first_name_cws + " " + pairs.middle_name_cws)
    split = a.str.contains(" ") & (a == b) & (pairs.middle_name_cws != "")
    a2 = _plain(pairs.first_name_cws)
    b2 = _plain(pairs.first_name_cw + " " + pairs.middle_name_cw)
    split2 = a2.str.contains(" ") & (a2 == b2) & (pairs.middle_name_cw != "")
    assert (split | split2).sum() >= 3


def test_typos_one_edit_apart(pairs: pd.DataFrame) -> None:
    for col in ("first_name", "last_name"):
        a, b = _plain(pairs[f"{col}_cw"]), _plain(pairs[f"{col}_cws"])
        one_edit = [DamerauLevenshtein.distance(x, y) == 1 for x, y in zip(a, b, strict=True)]
        assert sum(one_edit) >= 10, col
    transposed = [
        len(x) == len(y)
        and x != y
        and sorted(x) == sorted(y)
        and DamerauLevenshtein.distance(x, y) == 1
        for x, y in zip(_plain(pairs.first_name_cw), _plain(pairs.first_name_cws), strict=True)
    ]
    assert sum(transposed) >= 1


def test_phonetic_spellings(pairs: pd.DataFrame) -> None:
    def fold(s: pd.Series) -> pd.Series:
        s = _plain(s)
        for pat, rep in (
            ("LL", "Y"),
            ("V", "B"),
            ("Z", "S"),
            ("SS", "S"),
            ("^H", ""),
            ("CE", "SE"),
            ("CI", "SI"),
            ("PH", "F"),
            ("^X", "J"),
            ("TH", "T"),
        ):
            s = s.str.replace(pat, rep, regex=True)
        return s

    found = 0
    for col in ("first_name", "last_name"):
        a, b = pairs[f"{col}_cw"], pairs[f"{col}_cws"]
        found += int(((_plain(a) != _plain(b)) & (fold(a) == fold(b))).sum())
    assert found >= 10


def test_first_middle_swap_and_middle_missing_on_one_side(pairs: pd.DataFrame) -> None:
    swap = (
        (pairs.first_name_cw != pairs.first_name_cws)
        & (pairs.middle_name_cw != "")
        & (_plain(pairs.first_name_cw) == _plain(pairs.middle_name_cws))
        & (_plain(pairs.middle_name_cw) == _plain(pairs.first_name_cws))
    )
    assert swap.sum() >= 2
    one_sided = (pairs.middle_name_cw == "") != (pairs.middle_name_cws == "")
    assert one_sided.mean() > 0.2


def test_dob_errors(pairs: pd.DataFrame) -> None:
    a, b = pairs.dob_cw, pairs.dob_cws
    both = a.notna() & b.notna()
    swapped = (
        both
        & (a != b)
        & (a.dt.month == b.dt.day)
        & (a.dt.day == b.dt.month)
        & (a.dt.year == b.dt.year)
    )
    jan1 = (
        both
        & (a != b)
        & (a.dt.year == b.dt.year)
        & (((a.dt.month == 1) & (a.dt.day == 1)) | ((b.dt.month == 1) & (b.dt.day == 1)))
    )
    year = (
        both
        & (a.dt.month == b.dt.month)
        & (a.dt.day == b.dt.day)
        & ((a.dt.year - b.dt.year).abs() == 1)
    )
    digit = (
        both
        & (a != b)
        & ~swapped
        & ~jan1
        & ~year
        & (a.dt.year == b.dt.year)
        & (a.dt.month == b.dt.month)
    )
    missing = a.isna() | b.isna()
    assert swapped.sum() >= 5 and jan1.sum() >= 5 and year.sum() >= 3 and digit.sum() >= 3
    assert missing.sum() >= 10
    # Most true pairs are easy: the same date of birth on both sides.
    assert (both & (a == b)).mean() > 0.85


def test_ssn_mostly_present_in_calworks_often_missing_in_cws(files: Files) -> None:
    cw = files["calworks_children.csv"].ssn
    cws = files["cws_children.csv"].ssn
    assert (cw != "").mean() >= 0.90
    assert 0.33 <= (cws != "").mean() <= 0.50


def test_invalid_placeholder_ssns_and_one_digit_typos(files: Files, pairs: pd.DataFrame) -> None:
    def digits(s: pd.Series) -> pd.Series:
        return s.str.replace("-", "", regex=False)

    placeholder = r"^(000000000|123456789|(\d)\2{8})$"
    for name in ("calworks_children.csv", "cws_children.csv"):
        assert digits(files[name].ssn).str.match(placeholder).sum() >= 3, name
    a, b = digits(pairs.ssn_cw), digits(pairs.ssn_cws)
    both = (a != "") & (b != "")
    one_digit = [
        sum(x != y for x, y in zip(p, q, strict=True)) == 1
        for p, q in zip(a[both], b[both], strict=True)
    ]
    assert sum(one_digit) >= 3
    assert files["cws_children.csv"].ssn.str.contains("-").any()


def test_twins_and_siblings_share_surname_parent_address(files: Files) -> None:
    cw = files["calworks_children.csv"]
    truth = files["truth.csv"].set_index("record_id")["person_id"]
    cw = cw.assign(person=cw.record_id.map(truth))
    key = ["case_id", "dob", "last_name", "parent_first_name", "parent_last_name", "address"]
    groups = (
        cw.loc[cw.dob.notna()]
        .groupby(key)
        .agg(persons=("person", "nunique"), first_names=("first_name", "nunique"))
    )
    twins = groups.loc[(groups.persons >= 2) & (groups.first_names >= 2)]
    assert len(twins) >= 5
    siblings = cw.groupby("case_id").person.nunique()
    assert (siblings >= 2).sum() > 0.3 * len(siblings)
    assert siblings.max() <= 5


def test_unnamed_newborns_in_cws(files: Files) -> None:
    cws = files["cws_children.csv"]
    placeholder = cws.first_name.isin(["BABY BOY", "BABY GIRL", "BB", "INFANT", ""])
    assert placeholder.sum() >= 10
    assert set(cws.loc[placeholder, "first_name"]) >= {"BABY BOY", "BABY GIRL", ""}
    # They are infants of the match window.
    # (a few also carry a recorded birth-date error, e.g. the wrong year)
    assert (cws.loc[placeholder & cws.dob.notna(), "dob"] >= "2018-11-01").mean() > 0.95
    assert not files["calworks_children.csv"].first_name.isin(["BABY BOY", "BABY GIRL"]).any()


def test_moves_between_counties_and_addresses(pairs: pd.DataFrame) -> None:
    other_county = pairs.county_cd_cw != pairs.county_cd_cws
    assert 0.04 <= other_county.mean() <= 0.12
    same_county_new_zip = (
        ~other_county
        & (pairs.zip_cw != "")
        & (pairs.zip_cws != "")
        & (pairs.zip_cw != pairs.zip_cws)
    )
    assert same_county_new_zip.sum() >= 20


def test_duplicates_within_each_source(files: Files) -> None:
    truth = files["truth.csv"]
    for source in ("calworks", "cws"):
        per_person = truth.loc[truth.source == source].groupby("person_id").record_id.nunique()
        assert (per_person == 2).sum() >= 20, source
    cws = files["cws_children.csv"].merge(truth.loc[truth.source == "cws"], on="record_id")
    dup = cws.loc[cws.duplicated("person_id", keep=False)].sort_values(["person_id", "record_id"])
    g = dup.groupby("person_id")
    varied = (
        (g.first_name.nunique() > 1)
        | (g.last_name.nunique() > 1)
        | (g.dob.apply(lambda s: s.isna().any()))
    )
    assert varied.mean() > 0.4


def test_parent_is_case_head_in_calworks_mother_in_cws(pairs: pd.DataFrame) -> None:
    same_parent = pairs.parent_first_name_cw == pairs.parent_first_name_cws
    assert 0.6 < same_parent.mean() < 0.98
    differs_from_child = (pairs.parent_last_name_cws != "") & (
        pairs.parent_last_name_cws != pairs.last_name_cws
    )
    assert differs_from_child.mean() > 0.2


def test_common_latino_surnames_collide(files: Files) -> None:
    last = _plain(files["calworks_children.csv"].last_name.str.split(r"[ -]").str[0])
    top = last.value_counts()
    assert top.index[0] in {"GARCIA", "HERNANDEZ", "LOPEZ", "MARTINEZ", "GONZALEZ", "RODRIGUEZ"}
    assert top.iloc[:6].sum() / len(last) > 0.10
    assert top.iloc[0] / len(last) > 0.02


def test_latino_share_of_each_caseload() -> None:
    params = load()
    _, p = build(np.random.default_rng(3), params, counts_for(params, 0.01))
    calworks = p.loc[p.in_calworks, "group"].value_counts(normalize=True)
    cws = p.loc[p.in_cws, "group"].value_counts(normalize=True)
    assert 0.55 <= calworks["Latino"] <= 0.60
    assert 0.48 <= cws["Latino"] <= 0.53
    for group in ("Black", "White", "Asian/PI", "Native American"):
        assert calworks[group] > 0.005 and cws[group] > 0.005
    origins = set(p.origin)
    assert {"vietnamese", "hmong", "filipino", "chinese", "native"} <= origins


def test_cws_ethnicity_codes_give_a_mostly_latino_caseload(files: Files) -> None:
    cws = files["cws_children.csv"]
    groups = ethnic_group_series(cws.ethnicity_cd, cws.hispanic).value_counts(normalize=True)
    assert 0.44 <= groups["Latino"] <= 0.55
    assert 0.02 <= groups["Missing"] <= 0.08


def test_children_spread_over_the_counties(files: Files, pairs: pd.DataFrame) -> None:
    county = files["calworks_children.csv"].county_cd.astype(int).value_counts()
    assert county.index[0] == 19  # Los Angeles
    assert len(county) >= 50
    per_child_pop = pd.read_csv(config_dir() / "codes" / "counties.csv").set_index("county_cd")
    rate = county / per_child_pop.child_population_weight.reindex(county.index)
    # Central Valley counties have higher CalWORKs rates than the Bay Area.
    assert rate[10] > 1.5 * rate[43]  # Fresno vs Santa Clara


@pytest.mark.parametrize("source", ["calworks_children.csv", "cws_children.csv"])
def test_most_records_are_clean(files: Files, pairs: pd.DataFrame, source: str) -> None:
    same = (
        (_plain(pairs.first_name_cw) == _plain(pairs.first_name_cws))
        & (_plain(pairs.last_name_cw) == _plain(pairs.last_name_cws))
        & (pairs.dob_cw == pairs.dob_cws)
    )
    assert 0.55 < same.mean() < 0.9
