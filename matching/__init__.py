"""Probabilistic record linkage (Fellegi-Sunter) for person records, as a pure library.

Pipeline: standardise → block → compare → estimate → score → classify → resolve → report.
Scoring weighs each pair against its records' rivals (``matching.compete``); a new extract
can be linked incrementally against an earlier run (``matching.incremental``).
No database, web or ``linkages`` import: it works on pandas DataFrames with the person-record
columns of contracts.md §1 (record_id, first_name, middle_name, last_name, dob, sex, ssn,
county_cd, zip, address, parent_first_name, parent_last_name, case_id).

    settings = MatchSettings.from_yaml("config/matching.yaml")
    result = link(left, right, settings, clerical=None, progress=True)
    result.links, result.stats, result.left_persons, result.parameters
    later = link_incremental(left2, right2, PreviousRun.from_saved(parameters, links, records))
"""

from matching.incremental import PreviousRun, link_incremental
from matching.pipeline import (
    CONTRIBUTION_COLUMNS,
    LINK_COLUMNS,
    MatchResult,
    explain,
    link,
    link_records,
    prepare,
)
from matching.settings import BlockingPass, MatchSettings

__all__ = [
    "CONTRIBUTION_COLUMNS",
    "LINK_COLUMNS",
    "BlockingPass",
    "MatchResult",
    "MatchSettings",
    "PreviousRun",
    "explain",
    "link",
    "link_incremental",
    "link_records",
    "prepare",
]
