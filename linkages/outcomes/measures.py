"""The measures, each a short declaration over the shared rules of :mod:`.core`.

A measure turns the prepared data and one period into *units* (one row per child, or per
episode for the per-day measures) with a ``numerator`` and a ``denominator`` and the dates on
which its dimensions are read:

* ``age_on``: the date the child's age is taken on;
* ``county_on`` / ``placement_on``: the date whose placement gives the county / placement type
  (``placement_on`` of :mod:`.core`: the placement in effect that day);
* or ready-made ``county`` / ``placement_type`` / ``category`` columns.

:mod:`.engine` does the rest (dimensions, aggregation, masking) the same way for all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from linkages import codes
from linkages.outcomes import core
from linkages.outcomes.core import FosterCare, MeasureInputError, Period

# The version of the measure definitions below (and of the code tables they read), written into
# each cohort export's manifest: bump it whenever a measure's rule changes, so that an
# evaluator knows which rules a bundle's figures follow.
DEFINITIONS_VERSION = "2026.12-1"

ALL_DIMENSIONS = ("county", "age_group", "ethnicity", "sex", "agency", "placement_type",
                  "entry_type", "calworks_match")


@dataclass
class Inputs:
    foster_care: FosterCare
    agencies: tuple[str, ...]
    reports: pd.DataFrame | None = None  # substantiated reports, one row per child per referral
    birth_dates: pd.Series | None = None  # child_id -> birth_dt, for S2
    files: dict[str, pd.DataFrame] = field(default_factory=dict)  # the other inputs, by name
    matched: set[str] | None = None  # CalWORKs-matched CWS children (the links file)
    cache: dict[str, pd.DataFrame] = field(default_factory=dict)  # shared by the periods


@dataclass(frozen=True)
class Measure:
    code: str
    title: str
    kind: str  # "proportion", "rate" (per ``per`` days) or "distribution"
    units: Callable[[Inputs, Period], pd.DataFrame]
    per: int = 100
    lower_is_better: bool = True
    needs_allegations: bool = False
    dimensions: tuple[str, ...] = ALL_DIMENSIONS
    notes: tuple[str, ...] = field(default=())
    period: str = "year"  # core.PERIOD_KINDS
    needs: tuple[str, ...] = ()  # other input files, by their Inputs.files name
    per_unit: str = "days"  # a rate's denominator: "days" of care or "children"
    scope: str = ""  # the table's scope line when not the agencies (nor S2's reports)
    # The agency types of the cohort when none is asked for (None: Child Welfare only, or
    # every included type when stratifying by agency).
    agencies: tuple[str, ...] | None = None
    # The units' unduplicated children are counted per cell (2F's "By Year" report):
    # ``Row.children``, each cell's distinct child_ids, so cells do not sum to the total.
    unduplicated: bool = False


def _units(episodes: pd.DataFrame, numerator: pd.Series | np.ndarray,
           denominator: pd.Series | np.ndarray | int, **dates: pd.Series) -> pd.DataFrame:
    out = pd.DataFrame({
        "child_id": episodes["child_id"].to_numpy(),
        "ep": episodes.index.to_numpy(),
        "numerator": np.asarray(numerator, dtype="int64"),
        "denominator": np.broadcast_to(np.asarray(denominator, dtype="int64"), len(episodes)),
    })
    for name, values in dates.items():
        out[name] = (pd.to_datetime(pd.Series(values).to_numpy(), cache=False)
                     if len(episodes) else pd.NaT)
    return out


def _cohort(inputs: Inputs) -> pd.DataFrame:
    return inputs.foster_care.cohort(inputs.agencies)


# --- P4 ---------------------------------------------------------------------------------------


def p4_units(inputs: Inputs, period: Period) -> pd.DataFrame:
    """3-P4 Re-entry to foster care in 12 months (entry cohort), as seed 001 defines it.

    Denominator: children whose first entry in the period (Child Welfare by default) lasted 8
    days or more, began before their 18th birthday, and ended within 12 months (``end − start
    <= 365`` days) in reunification (5439, 5440, 5513) or guardianship (5434, 5516) before their
    18th birthday. Adoption and every other exit are out. No trial home visit adjustment.

    Numerator: those whose next episode (any included agency, of any length, even 1 day)
    began 0 to 365 days after the discharge: only the first re-entry is looked at.

    County: the county of the last placement of the initial episode; placement type: the last
    placement before permanency; age and agency: at the episode start.
    """
    ep = core.first_entries(_cohort(inputs), period)
    los = core.length_of_stay(ep)
    den = ep[
        ~ep["short_stay"]
        & ~ep["entered_as_adult"]
        & ep["exit_type"].isin(core.REUNIFIED_OR_GUARDIANSHIP).to_numpy()
        & los.le(core.WITHIN_12_MONTHS.days).fillna(False)
        & ~ep["exited_as_adult"]
    ]
    reentered = core.within_12_months(den["episode_end"], den["next_start"])
    return _units(den, reentered, 1, age_on=den["episode_start"], county_on=den["episode_end"],
                  placement_on=den["episode_end"])


# --- P1 ---------------------------------------------------------------------------------------


def thv_adjusted_end(inputs: Inputs, ep: pd.DataFrame) -> pd.Series:
    """The exit date with the trial home visit adjustment (P1 only).

    A child discharged to reunification whose last placement was a trial home visit (change
    reason 1440) of more than 30 days counts as having left care 30 days into the visit:
    adjusted end = visit start + 30 days (the CB rule; CCWIP's "THV of 30+ days begun within 11
    months" is the same threshold). Any other exit keeps its date.
    """
    last = inputs.foster_care.placement_on(ep.index, ep["episode_end"])
    visit_start = pd.to_datetime(last["placement_start"], cache=False)
    credit = visit_start + pd.Timedelta(days=30)
    adjust = ((last["placement_type"] == core.TRIAL_HOME_VISIT).to_numpy()
              & (ep["exit_type"] == "reunified").to_numpy()
              & (ep["episode_end"] > credit).fillna(False).to_numpy())
    return ep["episode_end"].where(~adjust, credit)


def p1_units(inputs: Inputs, period: Period) -> pd.DataFrame:
    """3-P1 Permanency in 12 months for children entering foster care.

    Denominator: children's first entry in the period, excluding completed stays under 8 days
    and entries at 18 or older. Numerator: discharged to reunification, guardianship or
    adoption within 12 months of entry (``adjusted end − start <= 365`` days, with the trial
    home visit adjustment of :func:`thv_adjusted_end`) and before the 18th birthday.
    County, age, agency and placement type: at entry (first placement).
    """
    ep = core.first_entries(_cohort(inputs), period)
    ep = ep[~ep["short_stay"] & ~ep["entered_as_adult"]]
    adjusted = thv_adjusted_end(inputs, ep)
    success = (ep["exit_type"].isin(core.PERMANENCY).to_numpy()
               & core.within_12_months(ep["episode_start"], adjusted).to_numpy()
               & ~ep["exited_as_adult"].to_numpy())
    return _units(ep, success, 1, age_on=ep["episode_start"], county_on=ep["episode_start"],
                  placement_on=ep["episode_start"])


# --- P2, P3 -----------------------------------------------------------------------------------


def _in_care_units(inputs: Inputs, period: Period, min_months: int,
                   max_months: int | None) -> pd.DataFrame:
    ep = core.in_care_on(_cohort(inputs), period.start)
    months = core.whole_months(ep["episode_start"], period.start)
    keep = months >= min_months
    if max_months is not None:
        keep &= months <= max_months
    ep = ep[keep.to_numpy()]
    ep = ep[core.age_on(ep["birth_dt"], pd.Series(period.start, index=ep.index))
            .lt(core.ADULT_AGE).fillna(False).to_numpy()]
    success = (ep["exit_type"].isin(core.PERMANENCY)
               & ep["episode_end"].le(period.end).fillna(False)
               & ~ep["exited_as_adult"])
    day_one = pd.Series(period.start, index=ep.index)
    return _units(ep, success, 1, age_on=day_one, county_on=day_one, placement_on=day_one)


def p2_units(inputs: Inputs, period: Period) -> pd.DataFrame:
    """3-P2 Permanency in 12 months for children in care 12-23 months.

    Denominator: children in care on the first day of the period (entered before it, not
    discharged before it) whose episode had then lasted 12 to 23 whole calendar months, under
    18 that day. Numerator: discharged to reunification, guardianship or adoption by the last
    day of the period and before their 18th birthday. County, age, placement type: on day one.
    """
    return _in_care_units(inputs, period, 12, 23)


def p3_units(inputs: Inputs, period: Period) -> pd.DataFrame:
    """3-P3 Permanency in 12 months for children in care 24 months or more (as P2, 24+ whole
    months on the first day; an exit at 18 or older counts as still in care)."""
    return _in_care_units(inputs, period, 24, None)


# --- per-day windows (S1, P5) -------------------------------------------------------------------


def _days_in_period(ep: pd.DataFrame, period: Period) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(days, window start, adjusted end) of each episode's foster care days in the period.

    The discharge is replaced by the 18th birthday when that comes first. Days follow the CB
    four cases: entered and exited in the period ``end − entry``; in care on day one and exited
    ``end − period start``; entered and still in care ``period end − entry``; in care on day one
    and still in care ``period end − period start + 1``.
    """
    end = ep["episode_end"].where(ep["episode_end"].isna()
                                  | (ep["episode_end"] <= ep["birthday_18"]), ep["birthday_18"])
    end = end.where(~(ep["episode_end"].isna() & (ep["birthday_18"] <= period.end)),
                    ep["birthday_18"])
    window_start = ep["episode_start"].clip(lower=period.start)
    still = end.isna() | (end > period.end)
    window_end = end.where(~still, period.end)
    days = (window_end - window_start).dt.days + (still & (ep["episode_start"] < period.start))
    return days.astype("int64"), window_start, end


def p5_units(inputs: Inputs, period: Period) -> pd.DataFrame:
    """3-P5 Placement stability: moves per 1,000 days of foster care, entry cohort.

    Units are the episodes that began in the period (all of a child's entries), less completed
    stays under 8 days and entries at 18 or older. Days: from entry to the discharge, the 18th
    birthday or the period end, whichever is first (the four cases of S1). Moves: placements
    begun after the first placement and on or before that date; trial home visits and runaways
    are not placement settings and are neither counted nor the first placement. Episodes with
    0 days in the period (entered on its last day) are left out (CB data-quality rule).
    County, age, agency and placement type: at entry.
    """
    ep = core.entries(_cohort(inputs), period)
    ep = ep[~ep["short_stay"] & ~ep["entered_as_adult"]]
    days, _, end = _days_in_period(ep, period)
    window_end = end.where(end.notna() & (end <= period.end), period.end)
    pl = inputs.foster_care.placements
    settings = pl[~pl["placement_type"].isin([core.TRIAL_HOME_VISIT, core.RUNAWAY])
                  & pl["ep"].isin(ep.index)]
    settings = settings.assign(_until=settings["ep"].map(window_end))
    counted = settings[settings["placement_start"] <= settings["_until"]]
    moves = (counted.groupby("ep").size() - 1).clip(lower=0)
    moves = moves.reindex(ep.index, fill_value=0)
    keep = (days > 0).to_numpy()
    ep = ep[keep]
    return _units(ep, moves[keep].to_numpy(), days[keep].to_numpy(),
                  age_on=ep["episode_start"], county_on=ep["episode_start"],
                  placement_on=ep["episode_start"])


# --- S1 ---------------------------------------------------------------------------------------


def s1_units(inputs: Inputs, period: Period) -> pd.DataFrame:
    """3-S1 Maltreatment in foster care: substantiated reports per 100,000 days of care.

    Units are the episodes in care at any time in the period (before the 18th birthday), less
    completed stays under 8 days; days as in :func:`_days_in_period`. A report (a referral with
    a substantiated allegation for the child, any perpetrator) counts for the episode it falls
    in when it was received in the period, on or after entry + 7 days and before the discharge
    (or the 18th birthday, if earlier), and its incident date, if known, is neither before
    entry + 7 days nor on or after that discharge. A report 0 or 1 day after the child's
    previous report is a repeat and not counted.
    County, age, agency and placement type: on the later of entry and the period's first day.
    """
    if inputs.reports is None:
        raise MeasureInputError("S1 needs the allegation file (--allegations)")
    ep = _cohort(inputs)
    ep = ep[(ep["episode_start"] <= period.end)
            & (ep["episode_end"].isna() | (ep["episode_end"] >= period.start))]
    ep = ep[~ep["short_stay"] & ~ep["entered_as_adult"] & (ep["birthday_18"] > period.start)]
    days, window_start, _ = _days_in_period(ep, period)
    hits = _victimizations_in_care(inputs)
    hits = hits[(hits["received"] >= period.start) & (hits["received"] <= period.end)]
    events = hits.groupby("ep").size().reindex(ep.index, fill_value=0)
    keep = (days > 0).to_numpy()
    ep, window_start = ep[keep], window_start[keep]
    return _units(ep, events[keep].to_numpy(), days[keep].to_numpy(), age_on=window_start,
                  county_on=window_start, placement_on=window_start)


def _victimizations_in_care(inputs: Inputs) -> pd.DataFrame:
    """(ep, received) of every report that counts for S1 in the episode it falls in; the same
    for every period, so worked out once."""
    if "s1_hits" in inputs.cache:
        return inputs.cache["s1_hits"]
    assert inputs.reports is not None
    eps = inputs.foster_care.episodes
    end = eps["episode_end"].where(eps["episode_end"].notna()
                                   & (eps["episode_end"] <= eps["birthday_18"]),
                                   eps["birthday_18"])
    spans = pd.DataFrame({"child_id": eps["child_id"].to_numpy(), "ep": eps.index.to_numpy(),
                          "_start": eps["episode_start"].to_numpy().astype("datetime64[ns]"),
                          "end": end.to_numpy()}).sort_values("_start", kind="stable")
    reports = inputs.reports[~inputs.reports["repeat"]]
    reports = pd.DataFrame({"child_id": reports["child_id"].to_numpy(),
                            "received": reports["received"].to_numpy().astype("datetime64[ns]"),
                            "incident": reports["incident"].to_numpy()})
    reports = reports.sort_values("received", kind="stable")
    # Episodes of a child do not overlap: a report can only be in the latest one begun by then.
    hit = pd.merge_asof(reports, spans, left_on="received", right_on="_start", by="child_id",
                        direction="backward")
    first_day = hit["_start"] + pd.Timedelta(days=7)
    counts = ((hit["received"] >= first_day) & (hit["received"] < hit["end"])
              & ~(hit["incident"] < first_day).fillna(False)
              & ~(hit["incident"] >= hit["end"]).fillna(False))
    result = hit.loc[counts.fillna(False).to_numpy(), ["ep", "received"]]
    inputs.cache["s1_hits"] = result
    return result


# --- S2 ---------------------------------------------------------------------------------------


def s2_units(inputs: Inputs, period: Period) -> pd.DataFrame:
    """3-S2 Recurrence of maltreatment within 12 months.

    Reports are referrals with a substantiated allegation for the child. Reports 14 days or less
    after the child's previous report are rolled up into it (chained: each is compared with the
    one before). Denominator: children with a (not rolled-up) report received in the period,
    under 18 on its date (children with no known birth date are kept, age Missing); the first
    such report is the initial report. Numerator: the next (not rolled-up) report came within
    12 months (<= 365 days) of the initial one. County: the county that received the initial
    referral; age: on the initial report.
    """
    if inputs.reports is None:
        raise MeasureInputError("S2 needs the allegation file (--allegations)")
    reports = inputs.reports[~inputs.reports["rolled_up"]]
    in_period = reports[(reports["received"] >= period.start) & (reports["received"] <= period.end)]
    initial = in_period.drop_duplicates("child_id", keep="first")  # sorted by child, then date
    births = (inputs.birth_dates if inputs.birth_dates is not None
              else pd.Series(dtype="datetime64[ns]"))
    birth = pd.to_datetime(initial["child_id"].map(births), cache=False)
    age = core.age_on(birth, initial["received"])
    adult = age.ge(core.ADULT_AGE).fillna(False).to_numpy()
    initial, birth = initial[~adult], birth[~adult]
    recurred = core.within_12_months(initial["received"], initial["next_report"])
    return pd.DataFrame({
        "child_id": initial["child_id"].to_numpy(),
        "ep": -1,
        "numerator": recurred.to_numpy().astype("int64"),
        "denominator": np.ones(len(initial), dtype="int64"),
        "age_on": initial["received"].to_numpy(),
        "county": initial["county_cd"].map(codes.county_names()).fillna(codes.MISSING).to_numpy(),
        "birth_dt": birth.to_numpy(),
    })


@dataclass(frozen=True)
class Reports:
    """The substantiated reports of an allegation file (:func:`substantiated_reports`), worked
    out once and handed to several :func:`~linkages.outcomes.engine.compute` calls in place of
    the allegations: S1 and S2 read the same reports."""

    table: pd.DataFrame


def prepare_reports(allegations: pd.DataFrame) -> Reports:
    return Reports(substantiated_reports(allegations))


def substantiated_reports(allegations: pd.DataFrame) -> pd.DataFrame:
    """One row per child per referral with a substantiated allegation, sorted by child and date,
    with the S1 ``repeat`` flag (0-1 day after the child's previous report), the S2
    ``rolled_up`` flag (0-14 days after it) and, on reports not rolled up, the date of the
    child's next report not rolled up (``next_report``)."""
    disposition = allegations["disposition"]
    substantiated = [v for v in pd.unique(disposition.dropna())
                     if str(v).strip().lower() == "substantiated"]
    a = allegations[disposition.isin(substantiated).to_numpy()]
    child, child_ids = core.coded_text(a["child_id"])
    referral = pd.factorize(a["referral_id"])[0]
    reports = pd.DataFrame({
        "child": child, "referral": referral,
        "received": pd.to_datetime(a["referral_received_dt"], cache=False).to_numpy(),
        "incident": pd.to_datetime(a["incident_dt"], cache=False).to_numpy(),
        "county_cd": a["county_cd"].to_numpy(),
    }).groupby(["child", "referral"], sort=False).agg(
        received=("received", "min"), incident=("incident", "min"),
        county_cd=("county_cd", "first")).reset_index()
    order = np.lexsort((reports["referral"].to_numpy(), reports["received"].to_numpy(),
                        reports["child"].to_numpy()))
    reports = reports.iloc[order].reset_index(drop=True)
    child_col = reports["child"].to_numpy()
    same_child = np.zeros(len(child_col), dtype=bool)
    same_child[1:] = child_col[1:] == child_col[:-1]
    gap = reports["received"].diff().dt.days.where(same_child)
    reports["repeat"] = gap.le(1).fillna(False).astype(bool).to_numpy()
    reports["rolled_up"] = gap.le(14).fillna(False).astype(bool).to_numpy()
    kept = reports[~reports["rolled_up"]]
    following = kept["received"].shift(-1).where(kept["child"].shift(-1) == kept["child"])
    reports["next_report"] = following.reindex(reports.index)
    reports["child_id"] = np.asarray(child_ids, dtype=object)[child_col]
    return reports


# --- 4B ---------------------------------------------------------------------------------------

PLACEMENT_4B = ("Pre-Adopt", "Relative/NREFM", "Foster", "FFA", "Court Specified", "Group/STRTP",
                "Shelter", "Guardian", "Other", "Mixed", codes.MISSING)
"""Seed 001's categories offered in 4B; any other (runaway, SILP, trial home visit...) is Other."""


def _entry_cohort(inputs: Inputs, period: Period) -> pd.DataFrame:
    ep = core.first_entries(_cohort(inputs), period)
    return ep[~ep["short_stay"] & ~ep["entered_as_adult"]]


def _as_4b(types: pd.Series) -> pd.Series:
    return types.fillna(codes.MISSING).where(types.isin(PLACEMENT_4B), "Other")


def b1_units(inputs: Inputs, period: Period) -> pd.DataFrame:
    """4B(1) Least restrictive placement: first placement type of the entry cohort (P1's
    cohort: first entry in the period, 8 days or more, under 18 at entry). Share of each type
    among entries with a known type (Missing is shown but is not part of the percentages)."""
    ep = _entry_cohort(inputs, period)
    first = inputs.foster_care.placement_on(ep.index, ep["episode_start"])
    units = _units(ep, np.ones(len(ep)), 1, age_on=ep["episode_start"],
                   county_on=ep["episode_start"])
    units["category"] = _as_4b(first["placement_type"]).to_numpy()
    return units


def predominant_placement(inputs: Inputs, ep: pd.DataFrame) -> pd.Series:
    """The placement type of more than 50% of the episode's days, else Mixed.

    A placement's days run from its start to its end, the episode end, or (while open) the
    latest date in the file, whichever is first. An episode of 0 days takes its first type.
    """
    fc = inputs.foster_care
    pl = fc.placements[fc.placements["ep"].isin(ep.index)]
    episode_end = pl["ep"].map(ep["episode_end"].fillna(fc.as_of))
    stop = pl["placement_end"].fillna(episode_end).where(
        lambda s: s <= episode_end, episode_end)
    days = (stop - pl["placement_start"]).dt.days.clip(lower=0)
    by_type = days.groupby([pl["ep"], pl["placement_type"]]).sum()
    total = by_type.groupby(level=0).transform("sum")
    major = by_type[by_type * 2 > total].reset_index(level=1)["placement_type"]
    first = pl.drop_duplicates("ep").set_index("ep")["placement_type"]
    zero = total.groupby(level=0).first() == 0
    result = pd.Series("Mixed", index=ep.index, dtype=object)
    result.loc[major.index] = major.to_numpy()
    zero_ids = zero[zero].index
    result.loc[zero_ids] = first.reindex(zero_ids).to_numpy()
    no_placement = ~ep.index.isin(pl["ep"])
    result[no_placement] = codes.MISSING
    return result


def b2_units(inputs: Inputs, period: Period) -> pd.DataFrame:
    """4B(2) Least restrictive placement: predominant placement type of the entry cohort
    (:func:`predominant_placement`), shares as in 4B(1)."""
    ep = _entry_cohort(inputs, period)
    units = _units(ep, np.ones(len(ep)), 1, age_on=ep["episode_start"],
                   county_on=ep["episode_start"])
    units["category"] = _as_4b(predominant_placement(inputs, ep)).to_numpy()
    return units


_FC_DIMS = ALL_DIMENSIONS
MEASURES: dict[str, Measure] = {m.code: m for m in (
    Measure("P4", "Re-entry to foster care in 12 months (entry cohort)", "proportion", p4_units),
    Measure("P1", "Permanency in 12 months for children entering foster care", "proportion",
            p1_units, lower_is_better=False),
    Measure("P2", "Permanency in 12 months for children in care 12-23 months", "proportion",
            p2_units, lower_is_better=False),
    Measure("P3", "Permanency in 12 months for children in care 24 months or more",
            "proportion", p3_units, lower_is_better=False),
    Measure("P5", "Placement stability (moves per 1,000 days of foster care)", "rate", p5_units,
            per=1_000),
    Measure("S1", "Maltreatment in foster care (victimizations per 100,000 days of care)",
            "rate", s1_units, per=100_000, needs_allegations=True),
    Measure("S2", "Recurrence of maltreatment within 12 months", "proportion", s2_units,
            needs_allegations=True,
            dimensions=("county", "age_group", "ethnicity", "sex", "calworks_match")),
    Measure("4B1", "Least restrictive placement: first placement type of entries",
            "distribution", b1_units, lower_is_better=False,
            dimensions=tuple(d for d in ALL_DIMENSIONS if d != "placement_type")),
    Measure("4B2", "Least restrictive placement: predominant placement type of entries",
            "distribution", b2_units, lower_is_better=False,
            dimensions=tuple(d for d in ALL_DIMENSIONS if d != "placement_type")),
)}


def _register_california_measures() -> None:
    """2B/2D, 2F, 4A, C2.1 and the participation rates (:mod:`.ccwip`, which builds on the
    helpers above)."""
    from linkages.outcomes import ccwip

    MEASURES.update(ccwip.MEASURES)


_register_california_measures()
