"""The extract files ``linkages ingest`` reads (docs/data-files.md), as :class:`FileSpec`\\ s.

The person files are contracts.md §1 (``PERSON_FILE``); the foster care and allegation files
reuse the outcome measures' specs so that a row one command accepts the other accepts too, with
the code columns typed as integers (the database stores them as integers) and the rules that
only the database needs added here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import pandas as pd

from linkages import codes
from linkages.extracts import BLANKED, COUNTY, PERSON_FILE, Column, FileSpec, RowRule
from linkages.outcomes.files import ALLEGATION_FILE, FOSTER_CARE_FILE

SEX_CODES = frozenset({"F", "M", "I", "U"})


def _in_future(values: pd.Series) -> pd.Series:
    return values > pd.Timestamp.today().normalize()


def _ends_before_start(start: str, end: str, what: str) -> RowRule:
    def rule(data: pd.DataFrame) -> list[tuple[pd.Series, str, str]]:
        return [(data[end] < data[start], end, f"{what} ends before it starts")]

    return rule


def _disagree(group: str, columns: Iterable[str], what: str) -> RowRule:
    """Every row of a group whose rows disagree on a column is set aside: picking one row's
    value over another's would be a guess."""

    def rule(data: pd.DataFrame) -> list[tuple[pd.Series, str, str]]:
        out = []
        keys = data[group]
        for column in columns:
            differs = data.groupby(keys, dropna=False)[column].transform("nunique", dropna=False)
            out.append((
                (differs > 1) & keys.notna(),
                column,
                f"rows of this {what} disagree on {column}",
            ))
        return out

    return rule


def _with_kinds(spec: FileSpec, kinds: dict[str, str]) -> tuple[Column, ...]:
    return tuple(replace(c, kind=kinds[c.name]) if c.name in kinds else c for c in spec.columns)


CALWORKS_CHILDREN_FILE = replace(PERSON_FILE, label="CalWORKs children")
"""contracts.md §1, the left side."""

CWS_CHILDREN_FILE = replace(
    PERSON_FILE,
    label="CWS children",
    columns=(
        *PERSON_FILE.columns,
        Column("ethnicity_cd", kind="int", on_bad=BLANKED),
        Column("hispanic", allowed=frozenset({"Y", "N"}), on_bad=BLANKED),
    ),
)
"""contracts.md §1, the right side, with the CWS/CMS ethnicity code and Hispanic indicator
(a bad one is blanked, as any optional value of a person file)."""

CALWORKS_CASES_FILE = FileSpec(
    label="CalWORKs cases",
    key=("case_id",),
    columns=(
        Column("case_id", required=True, nonblank=True),
        replace(COUNTY, required=True, nonblank=True),
        Column("case_head_first_name", required=True),
        Column("case_head_last_name", required=True, nonblank=True),
        Column("case_head_dob", kind="date", check=(_in_future, "date of birth is in the future")),
        Column("case_head_sex", allowed=SEX_CODES),
        Column("address"),
        PERSON_FILE.column("zip"),
        Column("aid_status", required=True, nonblank=True,
               allowed=frozenset({"active", "discontinued"})),
        Column("wtw_status", allowed=frozenset(
            {"participating", "exempt", "non_compliance", "sanction", "good_cause"})),
        Column("parents_in_au", kind="int",
               check=(lambda v: v.notna() & ~v.isin([0, 1, 2]),
                      "not 0, 1 or 2 parents in the assistance unit")),
    ),
)

CALWORKS_AID_PERIODS_FILE = FileSpec(
    label="CalWORKs aid periods",
    key=("case_id", "aid_start"),
    columns=(
        Column("case_id", required=True, nonblank=True),
        Column("aid_start", required=True, nonblank=True, kind="date"),
        Column("aid_end", kind="date"),
    ),
    row_rules=(_ends_before_start("aid_start", "aid_end", "aid period"),),
)

CALWORKS_WTW_SANCTIONS_FILE = FileSpec(
    label="CalWORKs WtW sanctions",
    key=("case_id", "sanction_start"),
    columns=(
        Column("case_id", required=True, nonblank=True),
        Column("sanction_start", required=True, nonblank=True, kind="date"),
        Column("sanction_end", kind="date"),
    ),
    row_rules=(_ends_before_start("sanction_start", "sanction_end", "sanction"),),
)
"""docs/data-files.md: a Welfare-to-Work sanction of a case, from the day it took effect to the
day it was cured (blank while in force). Optional: an extract without it loads as before."""

CWS_ALLEGATIONS_FILE = replace(
    ALLEGATION_FILE,
    row_rules=(
        *ALLEGATION_FILE.row_rules,
        _disagree("referral_id", ("county_cd", "referral_received_dt"), "referral"),
    ),
)
"""docs/data-files.md; a referral is the allegations' referral_id, so its rows must agree."""

CASE_COMPONENTS_FILE = FileSpec(
    label="CWS case components",
    key=("case_id", "child_id", "service_component", "component_start"),
    columns=(
        Column("case_id", required=True, nonblank=True),
        Column("child_id", required=True, nonblank=True),
        replace(COUNTY, required=True, nonblank=True),
        Column("service_component", required=True, nonblank=True,
               allowed=frozenset(codes.tables().service_components["service_component"])),
        Column("component_start", required=True, nonblank=True, kind="date"),
        Column("component_end", kind="date"),
    ),
    row_rules=(_ends_before_start("component_start", "component_end", "component"),),
)

_FC_CODES = ("termination_reason_cd", "agency_cd", "facility_type_cd",
             "caregiver_relationship_cd", "placement_change_reason_cd")

FOSTER_CARE_INGEST_FILE = replace(
    FOSTER_CARE_FILE,
    columns=_with_kinds(FOSTER_CARE_FILE, dict.fromkeys(_FC_CODES, "int")),
    row_rules=(
        *FOSTER_CARE_FILE.row_rules,
        # The outcome rules cover the child and dates; the database also stores the agency.
        _disagree("episode_id", ("agency_cd",), "episode"),
    ),
)
"""contracts.md §3, one row per placement."""

# File name -> spec, in load order: a file is loaded after every file it refers to.
FILES: dict[str, FileSpec] = {
    "calworks_cases.csv": CALWORKS_CASES_FILE,
    "calworks_children.csv": CALWORKS_CHILDREN_FILE,
    "calworks_aid_periods.csv": CALWORKS_AID_PERIODS_FILE,
    "calworks_wtw_sanctions.csv": CALWORKS_WTW_SANCTIONS_FILE,
    "cws_children.csv": CWS_CHILDREN_FILE,
    "cws_allegations.csv": CWS_ALLEGATIONS_FILE,
    "cws_case_components.csv": CASE_COMPONENTS_FILE,
    "foster_care.csv": FOSTER_CARE_INGEST_FILE,
}
