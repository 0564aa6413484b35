"""CWS/CMS and county code tables, read once from ``config/codes/``.

Every code → category rule of ``../shared/seeds/001_*.txt`` lives here and nowhere else:
county names, ethnic groups (the Hispanic indicator wins), placement type categories (RFA and
Court Specified homes split by caregiver relationship; runaway and trial home visit by the
placement change reason), agency types with the excluded ones, exit (permanency) types and age
groups. Each rule has a scalar form for services and a vectorised form for the measure engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

import numpy as np
import pandas as pd

from linkages.config import config_dir

MISSING = "Missing"


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(config_dir() / "codes" / name, dtype=str, keep_default_na=False)


@dataclass(frozen=True)
class CodeTables:
    counties: pd.DataFrame
    agency_types: pd.DataFrame
    termination_reasons: pd.DataFrame
    ethnicity: pd.DataFrame
    caregiver_relationships: pd.DataFrame
    facility_types: pd.DataFrame
    placement_change_reasons: pd.DataFrame
    age_groups: pd.DataFrame
    allegation_types: pd.DataFrame
    service_components: pd.DataFrame


@cache
def tables() -> CodeTables:
    return CodeTables(
        counties=_read("counties.csv"),
        agency_types=_read("agency_types.csv"),
        termination_reasons=_read("termination_reasons.csv"),
        ethnicity=_read("ethnicity.csv"),
        caregiver_relationships=_read("caregiver_relationships.csv"),
        facility_types=_read("facility_types.csv"),
        placement_change_reasons=_read("placement_change_reasons.csv"),
        age_groups=_read("age_groups.csv"),
        allegation_types=_read("allegation_types.csv"),
        service_components=_read("service_components.csv"),
    )


def _code_key(value: object) -> str:
    """Normalise a code read from CSV or the database ("34", 34, 34.0, " 34 ") to "34"."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    text = str(value).strip()
    if text.endswith(".0"):
        text = text[:-2]
    return text


def _code_series(values: pd.Series) -> pd.Series:
    text = values.astype("string").fillna("").str.strip()
    return text.str.replace(r"\.0$", "", regex=True)


# --- counties -------------------------------------------------------------------------------


@cache
def county_names() -> dict[int, str]:
    t = tables().counties
    return {int(c): n for c, n in zip(t.county_cd, t.name, strict=True)}


def county_name(county_cd: object) -> str:
    key = _code_key(county_cd)
    return county_names().get(int(key), MISSING) if key.isdigit() else MISSING


def valid_county(county_cd: object) -> bool:
    key = _code_key(county_cd)
    return key.isdigit() and int(key) in county_names()


# --- agency type ----------------------------------------------------------------------------


@cache
def _agency_map() -> dict[str, tuple[str, bool]]:
    t = tables().agency_types
    return {
        c: (a, e == "Y") for c, a, e in zip(t.agency_cd, t.agency_type, t.excluded, strict=True)
    }


def agency_type(agency_cd: object) -> str:
    return _agency_map().get(_code_key(agency_cd), (MISSING, True))[0]


def agency_excluded(agency_cd: object) -> bool:
    """Agency types excluded from all analyses (seed 001), including a missing agency."""
    return _agency_map().get(_code_key(agency_cd), (MISSING, True))[1]


def agency_type_series(codes: pd.Series) -> pd.Series:
    mapping = {c: a for c, (a, _) in _agency_map().items()}
    return _code_series(codes).map(mapping).fillna(MISSING)


def agency_excluded_series(codes: pd.Series) -> pd.Series:
    mapping = {c: e for c, (_, e) in _agency_map().items()}
    return _code_series(codes).map(mapping).fillna(True).astype(bool)


# --- exit (permanency) type -----------------------------------------------------------------


@cache
def _exit_map() -> dict[str, str]:
    t = tables().termination_reasons
    return dict(zip(t.termination_reason_cd, t.exit_type, strict=True))


def exit_type(termination_reason_cd: object) -> str:
    """``reunified``, ``guardianship``, ``adoption``, ``emancipation``, ``other`` or ``""``."""
    key = _code_key(termination_reason_cd)
    return _exit_map().get(key, "other" if key else "")


def exit_type_series(codes: pd.Series) -> pd.Series:
    keys = _code_series(codes)
    mapped = keys.map(_exit_map())
    return mapped.where(mapped.notna(), np.where(keys == "", "", "other")).astype(str)


# --- ethnicity ------------------------------------------------------------------------------


@cache
def _ethnic_map() -> dict[str, str]:
    t = tables().ethnicity
    return dict(zip(t.ethnicity_cd, t.ethnic_group, strict=True))


HISPANIC_GROUP = "Latino"


def _hispanic_flag(value: object) -> bool:
    return _code_key(value).upper() == "Y"


def ethnic_group(ethnicity_cd: object, hispanic: object = None) -> str:
    """The seed's six groups; a child with the Hispanic Origin indicator ``Y`` is Latino
    whatever the primary ethnicity."""
    if _hispanic_flag(hispanic):
        return HISPANIC_GROUP
    return _ethnic_map().get(_code_key(ethnicity_cd), MISSING)


def ethnic_group_series(codes: pd.Series, hispanic: pd.Series | None = None) -> pd.Series:
    groups = _code_series(codes).map(_ethnic_map()).fillna(MISSING)
    if hispanic is not None:
        is_hisp = hispanic.astype("string").fillna("").str.strip().str.upper() == "Y"
        groups = groups.where(~is_hisp.to_numpy(), HISPANIC_GROUP)
    return groups


# --- placement type -------------------------------------------------------------------------


@cache
def _placement_maps() -> tuple[
    dict[str, str], dict[str, tuple[str, str, str]], dict[str, str], dict[str, str]
]:
    ft = tables().facility_types
    plain = {c: p for c, p in zip(ft.facility_type_cd, ft.placement_type, strict=True) if p}
    split = {
        c: (r, n, m)
        for c, p, r, n, m in zip(
            ft.facility_type_cd,
            ft.placement_type,
            ft.relative_placement_type,
            ft.nonrelative_placement_type,
            ft.missing_relationship_placement_type,
            strict=True,
        )
        if not p
    }
    cr = tables().caregiver_relationships
    relationship = dict(zip(cr.caregiver_relationship_cd, cr.relationship_group, strict=True))
    pcr = tables().placement_change_reasons
    override = {
        c: o
        for c, o in zip(pcr.placement_change_reason_cd, pcr.placement_type_override, strict=True)
        if o
    }
    return plain, split, relationship, override


def placement_type(
    facility_type_cd: object,
    caregiver_relationship_cd: object = None,
    placement_change_reason_cd: object = None,
) -> str:
    """Placement type category of one placement (seed 001, "Placement Type").

    A runaway (change reason 1431) or trial home visit (1440) is its own category whatever the
    facility; RFA homes (6914, 6915) and Court Specified homes (1419) are split by the
    caregiver relationship (SCP_RLTC); a blank facility is Missing, an unlisted one Other.
    """
    plain, split, relationship, override = _placement_maps()
    reason = _code_key(placement_change_reason_cd)
    if reason in override:
        return override[reason]
    facility = _code_key(facility_type_cd)
    if not facility:
        return MISSING
    if facility in plain:
        return plain[facility]
    if facility in split:
        rel_cat, nonrel_cat, missing_cat = split[facility]
        group = relationship.get(_code_key(caregiver_relationship_cd), "")
        return {"relative": rel_cat, "nonrelative": nonrel_cat}.get(group, missing_cat)
    return "Other"


def placement_type_series(
    facility: pd.Series, caregiver: pd.Series | None = None, change_reason: pd.Series | None = None
) -> pd.Series:
    plain, split, relationship, override = _placement_maps()
    fac = _code_series(facility)
    result = fac.map(plain)
    result = result.where(fac != "", MISSING)
    if split:
        rel_group = (
            _code_series(caregiver).map(relationship).fillna("")
            if caregiver is not None
            else pd.Series("", index=fac.index)
        )
        for code, (rel_cat, nonrel_cat, missing_cat) in split.items():
            is_code = fac == code
            if not is_code.any():
                continue
            chosen = np.where(
                rel_group == "relative",
                rel_cat,
                np.where(rel_group == "nonrelative", nonrel_cat, missing_cat),
            )
            result = result.where(~is_code, pd.Series(chosen, index=fac.index))
    result = result.fillna("Other")
    if change_reason is not None:
        over = _code_series(change_reason).map(override)
        result = over.where(over.notna(), result)
    return result.astype(str)


# --- age ------------------------------------------------------------------------------------


def age_on(birth: date, on: date) -> int:
    """Whole years of age on a date (a child turns a year older on her birthday)."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def age_series(birth: pd.Series, on: pd.Series) -> pd.Series:
    """Vectorised :func:`age_on` over datetime64 series; missing in → missing out."""
    b = pd.to_datetime(birth, cache=False)
    o = pd.to_datetime(on, cache=False)
    years = o.dt.year - b.dt.year
    before_birthday = (o.dt.month < b.dt.month) | (
        (o.dt.month == b.dt.month) & (o.dt.day < b.dt.day)
    )
    return (years - before_birthday.astype("Int64")).astype("Int64")


@cache
def _age_bins() -> list[tuple[str, int, int]]:
    t = tables().age_groups
    return [
        (g, int(lo), int(hi)) for g, lo, hi in zip(t.age_group, t.min_age, t.max_age, strict=True)
    ]


def age_group(age: int | None) -> str:
    if age is None or age < 0:
        return MISSING
    for label, lo, hi in _age_bins():
        if lo <= age <= hi:
            return label
    return MISSING


def age_group_series(ages: pd.Series) -> pd.Series:
    # The groups of the distinct ages only, spread back (a few dozen ages over many rows).
    codes_, uniques = pd.factorize(ages, use_na_sentinel=False)
    a = pd.Series(uniques).astype("Float64")
    groups = pd.Series(MISSING, index=a.index, dtype=object)
    for label, lo, hi in _age_bins():
        groups = groups.where(~((a >= lo) & (a <= hi)).fillna(False).to_numpy(bool), label)
    return pd.Series(groups.to_numpy(dtype=object)[codes_], index=ages.index, dtype=object)
