"""Simple, independent versions of the outcome measures, to check the synthetic history is
plausible. (The exact measure engine lives in linkages.outcomes; these are deliberately
written from the definitions in outcome-measures.md without it.)"""

from __future__ import annotations

import pandas as pd

from linkages.codes import agency_excluded_series, exit_type_series

YEAR = pd.Timedelta(days=365)


def episodes(foster: pd.DataFrame) -> pd.DataFrame:
    fc = foster.loc[~agency_excluded_series(foster["agency_cd"]).to_numpy()]
    ep = (
        fc.groupby("episode_id", sort=False)
        .agg(
            child_id=("child_id", "first"),
            birth=("birth_dt", "first"),
            start=("episode_start", "first"),
            end=("episode_end", "first"),
            term=("termination_reason_cd", "first"),
        )
        .reset_index()
    )
    ep["exit"] = exit_type_series(ep["term"]).to_numpy()
    ep["age_entry"] = (ep["start"] - ep["birth"]).dt.days / 365.25
    ep["age_exit"] = (ep["end"] - ep["birth"]).dt.days / 365.25
    ep["los"] = (ep["end"] - ep["start"]).dt.days
    return ep.sort_values(["child_id", "start"]).reset_index(drop=True)


def entries(ep: pd.DataFrame, year: int) -> int:
    return int((ep["start"].dt.year == year).sum())


def _first_entries(ep: pd.DataFrame, year: int) -> pd.DataFrame:
    cohort = ep.loc[ep["start"].dt.year == year].drop_duplicates("child_id")
    return cohort.loc[(cohort["age_entry"] < 18) & ~(cohort["los"] < 8)]


def p1(ep: pd.DataFrame, year: int) -> tuple[int, int]:
    """Permanency in 12 months of children entering in ``year``."""
    c = _first_entries(ep, year)
    perm = (
        c["exit"].isin(["reunified", "guardianship", "adoption"])
        & (c["end"] < c["start"] + YEAR)
        & (c["age_exit"] < 18)
    )
    return int(perm.sum()), len(c)


def p4(ep: pd.DataFrame, year: int) -> tuple[int, int]:
    """Re-entry in 12 months after reunification/guardianship within 12 months of entry."""
    c = _first_entries(ep, year)
    den = c.loc[
        c["exit"].isin(["reunified", "guardianship"])
        & (c["end"] < c["start"] + YEAR)
        & (c["age_exit"] < 18)
    ]
    later = ep.merge(den[["child_id", "end"]].rename(columns={"end": "exit_dt"}), on="child_id")
    back = later.loc[
        (later["start"] > later["exit_dt"]) & (later["start"] <= later["exit_dt"] + YEAR)
    ]
    return int(back["child_id"].nunique()), len(den)


def s2(allegations: pd.DataFrame, children: pd.DataFrame, year: int) -> tuple[int, int]:
    """Recurrence of substantiated maltreatment within 12 months (14-day roll-up)."""
    sub = allegations.loc[
        allegations["disposition"] == "substantiated", ["child_id", "referral_received_dt"]
    ].drop_duplicates()
    dob = children.set_index("record_id")["dob"]
    sub = sub.assign(dob=sub["child_id"].map(dob))
    first = (
        sub.loc[sub["referral_received_dt"].dt.year == year]
        .sort_values("referral_received_dt")
        .drop_duplicates("child_id")
    )
    first = first.loc[~((first["referral_received_dt"] - first["dob"]).dt.days / 365.25 >= 18)]
    m = sub.merge(
        first[["child_id", "referral_received_dt"]].rename(columns={"referral_received_dt": "d0"}),
        on="child_id",
    )
    gap = (m["referral_received_dt"] - m["d0"]).dt.days
    return int(m.loc[(gap > 14) & (gap <= 365), "child_id"].nunique()), len(first)


def p5(foster: pd.DataFrame, year: int) -> float:
    """Placement moves per 1,000 days in care of the children entering in ``year``, within
    the year (runaways and trial home visits are not placements; a return from a runaway is
    not a move)."""
    start, stop = pd.Timestamp(year, 1, 1), pd.Timestamp(year, 12, 31)
    fc = foster.loc[~agency_excluded_series(foster["agency_cd"]).to_numpy()]
    fc = fc.loc[(fc["episode_start"] >= start) & (fc["episode_start"] <= stop)]
    ep = fc.drop_duplicates("episode_id")
    end = ep["episode_end"].fillna(stop).clip(upper=stop)
    days = ((end - ep["episode_start"]).dt.days).clip(upper=364).sum()
    reason = fc["placement_change_reason_cd"].fillna("").astype(str)
    moves = fc.loc[
        (fc["placement_start"] > fc["episode_start"])
        & (fc["placement_start"] <= stop)
        & ~reason.isin(["1431", "1440", "1433"])
    ]
    return 1000 * len(moves) / days
