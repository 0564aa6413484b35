"""Tiny foster care histories written as the contract's CSV, for hand-worked cases.

(A uniquely named module: several test folders have a ``conftest``.)
"""

from __future__ import annotations

import csv
from pathlib import Path

FC_COLUMNS = ["child_id", "birth_dt", "sex", "ethnicity_cd", "hispanic", "episode_id",
              "episode_start", "episode_end", "termination_reason_cd", "agency_cd", "county_cd",
              "placement_start", "placement_end", "facility_type_cd", "caregiver_relationship_cd",
              "placement_change_reason_cd"]

REUNIFIED = "5439"
GUARDIANSHIP = "5434"
ADOPTION = "5433"
CHILD_WELFARE = "34"
FRESNO = "10"


def episode(child: str, start: str, end: str = "", reason: str = REUNIFIED, *,
            birth: str = "2015-06-15", agency: str = CHILD_WELFARE, county: str = FRESNO,
            facility: str = "1416", number: int = 1, **extra: str) -> list[dict[str, str]]:
    """One episode with a single placement spanning it."""
    row = {"child_id": child, "birth_dt": birth, "sex": "F", "ethnicity_cd": "839",
           "hispanic": "N", "episode_id": f"{child}-E{number}", "episode_start": start,
           "episode_end": end, "termination_reason_cd": reason if end else "",
           "agency_cd": agency, "county_cd": county, "placement_start": start,
           "placement_end": end, "facility_type_cd": facility, "caregiver_relationship_cd": "",
           "placement_change_reason_cd": ""}
    row.update(extra)
    return [row]


def placements(child: str, start: str, end: str, reason: str, stays: list[dict[str, str]], *,
               birth: str = "2015-06-15", agency: str = CHILD_WELFARE, number: int = 1,
               **extra: str) -> list[dict[str, str]]:
    """One episode with several placements; each stay gives placement_start/end and codes."""
    rows = []
    for stay in stays:
        row = episode(child, start, end, reason, birth=birth, agency=agency, number=number,
                      **extra)[0]
        row.update(stay)
        rows.append(row)
    return rows


def write_csv(path: Path, rows: list[dict[str, str]], columns: list[str] | None = None) -> Path:
    columns = columns or FC_COLUMNS
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path
