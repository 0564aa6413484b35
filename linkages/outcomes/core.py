"""The building blocks every measure shares (outcome-measures.md §0), written once.

* **Episodes** are built from placement rows: ``episode_id`` groups them, the episode's dates,
  exit reason, child and birth date come from the episode columns; the placement in effect on
  any date is looked up with :func:`placement_on` (county, agency, placement type).
* **Agency.** An episode's agency is the responsible agency of its placement on the episode
  start date (seed 001: "assigned based on the responsible agency at the placement episode start
  date"). Episodes of the agency types seed 001 excludes "from all analyses" (Out of State,
  Private Adoption, Mental Health, KinGAP, Missing) are dropped here, once, before anything
  else: they are neither cohort members, nor re-entries, nor earlier entries. The *cohort*
  of a measure is further restricted to the selected agency types; by default Child Welfare
  only, as California's CWS Outcomes System measures are ("based on Child Welfare data ONLY").
  A re-entry counts whatever the (included) agency of the later episode.
* **Unit** is the child: entry cohorts keep each child's first entry in the period.
* **8-day rule**: a *completed* episode shorter than 8 days (end − start < 8) is short; an open
  one never is.
* **Age** is whole years on the date a measure names (a child turns 18 on her 18th birthday;
  a 29 February birthday turns over on 1 March).
* **"Within 12 months"** is within 365 days: ``0 <= later − earlier <= 365`` (CCWIP's own
  re-entry methodology). One constant, :data:`WITHIN_12_MONTHS`, used by every measure.
* **Periods** are 12 months from the first day of January, April, July or October (seed 001's
  four intervals), rolling one quarter apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from linkages import codes

WITHIN_12_MONTHS = pd.Timedelta(days=365)
"""The one reading of "within 12 months" (of entry, of discharge, of an initial report)."""
SHORT_STAY_DAYS = 8
"""Episodes of fewer than this many days are "in care less than 8 days"."""
ADULT_AGE = 18

CHILD_WELFARE = "Child Welfare"
TRIAL_HOME_VISIT = "Trial Home Visit"
RUNAWAY = "Runaway"
PERMANENCY = ("reunified", "guardianship", "adoption")
REUNIFIED_OR_GUARDIANSHIP = ("reunified", "guardianship")

MATCHED = "Matched"
NOT_MATCHED = "Not matched"
SEX_LABELS = {"F": "Female", "M": "Male", "I": "Intersex"}


class MeasureInputError(ValueError):
    """The inputs cannot answer the question asked (wrong period start, missing file...)."""


# --- periods --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    start: pd.Timestamp
    end: pd.Timestamp  # inclusive: the last day of the 12 months

    @property
    def label(self) -> str:
        return f"{self.start:%Y-%m-%d} to {self.end:%Y-%m-%d}"


def rolling_periods(start: date | str | pd.Timestamp, count: int = 1) -> list[Period]:
    """``count`` 12-month periods starting at ``start``, one quarter apart."""
    first = pd.Timestamp(start).normalize()
    if first.day != 1 or first.month not in (1, 4, 7, 10):
        raise MeasureInputError(
            f"period start {first:%Y-%m-%d} is not the first day of January, April, July or "
            "October (the measures use rolling years Jan-Dec, Apr-Mar, Jul-Jun and Oct-Sep)")
    if count < 1:
        raise MeasureInputError("--periods must be at least 1")
    out = []
    for i in range(count):
        s = first + pd.DateOffset(months=3 * i)
        out.append(Period(s, s + pd.DateOffset(months=12) - pd.Timedelta(days=1)))
    return out


PERIOD_KINDS = ("year", "quarter", "month", "day")
"""How a measure's periods run: rolling 12-month years one quarter apart (the default),
calendar quarters, calendar months, or single days (point in time) one quarter apart."""


def periods_of(kind: str, start: date | str | pd.Timestamp, count: int = 1) -> list[Period]:
    """``count`` periods of ``kind`` from ``start``.

    ``year``: :func:`rolling_periods`. ``quarter``: calendar quarters, consecutive (``start`` is
    the first day of January, April, July or October). ``month``: calendar months, consecutive
    (``start`` is the first day of a month). ``day``: the first day of consecutive quarters, each
    a period of one day (point-in-time counts).
    """
    if kind == "year":
        return rolling_periods(start, count)
    first = pd.Timestamp(start).normalize()
    if count < 1:
        raise MeasureInputError("--periods must be at least 1")
    if kind == "month":
        if first.day != 1:
            raise MeasureInputError(f"period start {first:%Y-%m-%d} is not the first day of a "
                                    "month (this measure is monthly)")
        step = 1
    else:
        rolling_periods(first, 1)  # the same check: first day of a quarter
        step = 3
    out = []
    for i in range(count):
        s = first + pd.DateOffset(months=step * i)
        e = s if kind == "day" else s + pd.DateOffset(months=step) - pd.Timedelta(days=1)
        out.append(Period(s, e))
    return out


# --- ages -----------------------------------------------------------------------------------


def age_on(birth: pd.Series, on: pd.Series) -> pd.Series:
    """Whole years of age (``codes.age_series``), aligned to ``on``'s index."""
    return codes.age_series(pd.Series(birth.to_numpy(), index=on.index), on)


def eighteenth_birthday(birth: pd.Series) -> pd.Series:
    """The day a child turns 18; a 29 February child turns 18 on 1 March of a common year."""
    b = pd.to_datetime(birth, cache=False)
    day = b + pd.DateOffset(years=ADULT_AGE)  # pandas clips 29 Feb to 28 Feb
    clipped = (b.dt.month == 2) & (b.dt.day == 29) & (day.dt.day == 28)
    return day.where(~clipped, day + pd.Timedelta(days=1))


def whole_months(earlier: pd.Series, later: pd.Timestamp) -> pd.Series:
    """Whole calendar months from ``earlier`` to ``later`` (as age in years, but in months)."""
    months = (later.year - earlier.dt.year) * 12 + (later.month - earlier.dt.month)
    return months - (later.day < earlier.dt.day).astype(int)


# --- the prepared foster care data ------------------------------------------------------------


@dataclass
class FosterCare:
    """Placements and episodes, agency exclusion applied, ready for every measure.

    Episodes are indexed by an integer code ``ep`` (``episode_id`` keeps the file's id);
    placements are sorted by (``ep``, start, end with open last, file line) so that the
    placement in effect on a date is one binary search away.
    """

    placements: pd.DataFrame  # one row per placement of an included episode
    episodes: pd.DataFrame  # one row per included episode, indexed by ep; ``child``: the row
    # of its child in ``children``
    children: pd.DataFrame  # one row per child: sex, ethnicity, birth_dt, indexed by child_id
    excluded_episodes: int
    as_of: pd.Timestamp  # the latest date in the file: open spells run to it
    # Frames derived from the above and shared by every measure and period of a run (the
    # cohort of each agency selection): worked out on first use, never modified after.
    cache: dict[object, pd.DataFrame] = field(default_factory=dict, repr=False, compare=False)

    def cohort(self, agencies: Iterable[str]) -> pd.DataFrame:
        """The episodes of the selected agency types (:func:`of_agencies`), filtered once per
        selection rather than once per measure and period."""
        key = ("cohort", tuple(agencies))
        if key not in self.cache:
            self.cache[key] = of_agencies(self.episodes, key[1])
        return self.cache[key]

    def placement_on(self, eps: pd.Series | pd.Index | np.ndarray,
                     on: pd.Series) -> pd.DataFrame:
        return placement_on(self.placements, eps, on)


def trimmed_text(values: pd.Series) -> np.ndarray:
    """``values.astype(str).str.strip()`` as an object array.

    Ids repeat on every placement row of an episode, so when the column holds only strings the
    trimming is done on its distinct values and spread back (same answer, a fraction of the
    work); anything else (numbers, mixed types, missing values) takes the plain route, since
    values that hash alike (1, 1.0, True) would not print alike.
    """
    if values.dtype == object and pd.api.types.infer_dtype(values, skipna=False) == "string":
        codes_, uniques = pd.factorize(values)
        text = pd.Series(np.asarray(uniques, dtype=object)).str.strip().to_numpy(dtype=object)
        return text[codes_]
    return values.astype(str).str.strip().to_numpy(dtype=object)


def coded_text(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(trimmed_text(values))`` for less: (codes, texts), ``texts`` the distinct
    trimmed texts in order of first appearance and ``codes[i]`` row ``i``'s position in them.

    The values are hashed once and only the distinct ones trimmed; two that are one text once
    trimmed (" A", "A") get one code. Anything but strings is first turned into text, as
    :func:`trimmed_text` does.
    """
    if not (values.dtype == object
            and pd.api.types.infer_dtype(values, skipna=False) == "string"):
        values = values.astype(str)
    codes_, uniques = pd.factorize(values)
    raw = np.asarray(uniques, dtype=object)
    text = pd.Series(raw, dtype=object).str.strip().to_numpy(dtype=object)
    if bool((text == raw).all()):
        return codes_.astype("int64"), text  # nothing trimmed: already distinct
    merged, distinct = pd.factorize(text)
    return merged[codes_].astype("int64"), np.asarray(distinct, dtype=object)


def _sort_days(values: pd.Series | np.ndarray) -> np.ndarray:
    """Datetimes as int64 sort keys with missing last (``sort_values(na_position="last")``)."""
    raw = np.asarray(pd.to_datetime(pd.Series(np.asarray(values)), cache=False)
                     .to_numpy("datetime64[ns]"))
    return np.where(np.isnat(raw), np.iinfo("int64").max, raw.view("int64"))


def _code_text(values: pd.Series) -> pd.Series:
    return values.astype("string").str.strip().str.replace(r"\.0$", "", regex=True)


DAY_SPAN = 1 << 20  # > any day number below (days since 1970 + offset)
DAY_OFFSET = 1 << 19


def day_numbers(values: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(day numbers, missing mask) of datetimes."""
    days = np.asarray(pd.to_datetime(pd.Series(np.asarray(values)), cache=False)
                      .to_numpy("datetime64[D]"))
    missing = np.isnat(days)
    return np.where(missing, 0, days.astype("int64")) + DAY_OFFSET, missing


def search(sorted_keys: np.ndarray, values: np.ndarray, side: str = "left") -> np.ndarray:
    """``np.searchsorted(sorted_keys, values, side)``, with the values searched in sorted order
    (several times faster over a million keys: each search starts where the last one ended)."""
    values = np.asarray(values)
    if len(values) < 2:
        return np.searchsorted(sorted_keys, values, side=side)
    order = np.argsort(values, kind="stable")
    out = np.empty(len(values), dtype=np.intp)
    out[order] = np.searchsorted(sorted_keys, values[order], side=side)
    return out


def placement_on(placements: pd.DataFrame, eps: pd.Series | pd.Index | np.ndarray,
                 on: pd.Series) -> pd.DataFrame:
    """The placement of each episode in effect on a date: the last one started on or before it
    (the last in file order among those begun the same day, an open one after a closed one).

    Returns ``county_cd``, ``agency_cd``, ``placement_type`` and ``placement_start`` aligned to
    ``on``'s index; missing where the episode had no placement yet on that date.
    """
    ep = np.asarray(eps, dtype="int64")
    days, missing = day_numbers(on)
    keys = placements["_key"].to_numpy()
    idx = search(keys, ep * DAY_SPAN + days, side="right") - 1
    safe = np.clip(idx, 0, max(len(keys) - 1, 0))
    found = (idx >= 0) & ~missing & (len(keys) > 0)
    if len(keys):
        found &= placements["ep"].to_numpy()[safe] == ep
    out = {}
    for col in ("county_cd", "agency_cd", "placement_type"):
        # Rows taken before the conversion to objects: the asked-for rows, not every placement.
        values = placements[col].take(safe).to_numpy(dtype=object) if len(keys) else np.array([])
        out[col] = np.where(found, values, None) if len(keys) else np.full(len(ep), None)
    starts = (placements["placement_start"].to_numpy()[safe] if len(keys)
              else np.full(len(ep), np.datetime64("NaT", "ns")))
    out["placement_start"] = np.where(found, starts, np.datetime64("NaT", "ns"))
    return pd.DataFrame(out, index=on.index)


def county_on(foster_care: FosterCare, eps: pd.Series | pd.Index | np.ndarray,
              on: pd.Series) -> np.ndarray:
    """The county name of each episode's placement in effect on a date (:func:`placement_on`);
    Missing where there is none."""
    cd = foster_care.placement_on(eps, on)["county_cd"]
    found, distinct = pd.factorize(cd)  # a few dozen counties over many rows: map those
    names = (pd.Series(np.asarray(distinct, dtype=object)).map(codes.county_names())
             .fillna(codes.MISSING).to_numpy(dtype=object))
    return np.where(found >= 0, names[np.clip(found, 0, None)] if len(names) else
                    codes.MISSING, codes.MISSING).astype(object)


def by_distinct(frame: pd.DataFrame, rule) -> np.ndarray:
    """Apply a vectorised code rule to the distinct rows of ``frame`` only, then spread the
    answers back: code columns repeat the same few values over a million placements."""
    frame = frame.astype(object).where(frame.notna(), "")
    # The row ids, numbered in order of first appearance (as groupby(sort=False).ngroup()
    # and drop_duplicates() number them), from one factorize per column and one over the
    # combined integer codes: cheaper than grouping by several object columns at once.
    ids = np.zeros(len(frame), dtype="int64")
    for column in frame.columns:
        codes_, uniques = pd.factorize(frame[column])
        ids = ids * max(len(uniques), 1) + codes_
        ids = pd.factorize(ids)[0]  # renumber so that the product never overflows
    firsts = np.unique(ids, return_index=True)[1] if len(ids) else np.zeros(0, dtype="int64")
    distinct = frame.iloc[firsts]
    return np.asarray(rule(distinct))[ids]


def prepare(foster_care: pd.DataFrame) -> FosterCare:
    """Episodes and placements from the accepted rows of the foster care file."""
    fc = foster_care
    # The ids hashed once each: integer codes and the distinct trimmed ids.
    ep_code, episode_ids = coded_text(fc["episode_id"])
    child_code, child_ids = coded_text(fc["child_id"])
    placements = pd.DataFrame({
        "ep": ep_code.astype("int64"),
        "line": np.arange(len(fc)),
        "placement_start": pd.to_datetime(fc["placement_start"], cache=False).to_numpy(),
        "placement_end": pd.to_datetime(fc["placement_end"], cache=False).to_numpy(),
        "county_cd": pd.to_numeric(fc["county_cd"]).to_numpy(),
        "agency_cd": by_distinct(fc[["agency_cd"]],
                                 lambda d: _code_text(d["agency_cd"]).fillna("")),
        "placement_type": by_distinct(
            fc[["facility_type_cd", "caregiver_relationship_cd", "placement_change_reason_cd"]],
            lambda d: codes.placement_type_series(d["facility_type_cd"],
                                                  d["caregiver_relationship_cd"],
                                                  d["placement_change_reason_cd"])),
    })
    # Sorted by (ep, start, end, line) with missing dates last; ``line`` is unique, so the order
    # is total and one lexsort over int64 keys gives what sort_values would, for less.
    order = np.lexsort((placements["line"].to_numpy(),
                        _sort_days(placements["placement_end"]),
                        _sort_days(placements["placement_start"]),
                        placements["ep"].to_numpy()))
    placements = placements.take(order).reset_index(drop=True)
    placements["_key"] = placements["ep"].to_numpy() * DAY_SPAN + day_numbers(
        placements["placement_start"])[0]

    # Rows of an episode agree on its columns (the reader sets disagreeing episodes aside).
    first_row = np.unique(ep_code, return_index=True)[1]
    rows = fc.iloc[first_row]
    episodes = pd.DataFrame({
        "episode_id": episode_ids[ep_code[first_row]],
        "child_id": child_ids[child_code[first_row]],
        "birth_dt": pd.to_datetime(rows["birth_dt"], cache=False).to_numpy(),
        "episode_start": pd.to_datetime(rows["episode_start"], cache=False).to_numpy(),
        "episode_end": pd.to_datetime(rows["episode_end"], cache=False).to_numpy(),
    }, index=pd.Index(ep_code[first_row].astype("int64"), name="ep"))
    reasons = pd.Series(fc["termination_reason_cd"].to_numpy(), index=ep_code).dropna()
    reasons = reasons[~reasons.index.duplicated()]
    episodes["termination_reason_cd"] = reasons.reindex(episodes.index).to_numpy()
    episodes["exit_type"] = by_distinct(episodes[["termination_reason_cd"]],
                                        lambda d: codes.exit_type_series(
                                            d["termination_reason_cd"]))

    at_start = placement_on(placements, episodes.index, episodes["episode_start"])
    first = placements.drop_duplicates("ep").set_index("ep")["agency_cd"]
    agency = at_start["agency_cd"].where(at_start["agency_cd"].notna(),
                                         episodes.index.to_series().map(first))
    episodes["agency_cd"] = agency.to_numpy()
    episodes["agency"] = by_distinct(episodes[["agency_cd"]],
                                     lambda d: codes.agency_type_series(d["agency_cd"]))
    excluded = by_distinct(episodes[["agency_cd"]],
                           lambda d: codes.agency_excluded_series(d["agency_cd"])).astype(bool)
    excluded_count = int(excluded.sum())
    episodes = episodes.loc[~excluded].copy()
    # Membership by a lookup table over the episode codes (0..n-1), not a hash of each row.
    kept = np.zeros(len(first_row), dtype=bool)
    kept[episodes.index.to_numpy()] = True
    placements = placements[kept[placements["ep"].to_numpy()]].reset_index(drop=True)

    episodes = episodes.sort_values(["child_id", "episode_start"], kind="stable")
    order = episodes.groupby("child_id", sort=False).cumcount()
    episodes["entry_type"] = np.where(order == 0, "First entry", "Other entry")
    # Episodes of a child never overlap (the reader sets overlapping ones aside), so the next
    # episode by start is the re-entry after this one's discharge.
    episodes["next_start"] = episodes.groupby("child_id", sort=False)["episode_start"].shift(-1)
    episodes["birthday_18"] = eighteenth_birthday(episodes["birth_dt"])
    # Facts of an episode that no period changes, worked out once here rather than by every
    # measure for every period (the rules themselves are the functions below).
    episodes["short_stay"] = short_stay(episodes).to_numpy(dtype=bool)
    episodes["entered_as_adult"] = entered_as_adult(episodes).to_numpy(dtype=bool)
    episodes["exited_as_adult"] = exited_as_adult(episodes).to_numpy(dtype=bool)

    # Demographics: the latest non-blank value of the child's rows.
    # Grouped by integer codes of the ids (same groups, same order of first appearance) since
    # hashing a million id strings again is most of the cost of the grouping.
    demo = pd.DataFrame({"child_id": child_code, "sex": fc["sex"].to_numpy(),
                         "ethnicity_cd": fc["ethnicity_cd"].to_numpy(),
                         "hispanic": fc["hispanic"].to_numpy(),
                         "birth_dt": pd.to_datetime(fc["birth_dt"], cache=False).to_numpy(),
                         "_start": pd.to_datetime(fc["placement_start"], cache=False).to_numpy()})
    demo = demo.sort_values("_start", kind="stable").groupby("child_id", sort=False).agg(
        sex=("sex", "last"), ethnicity_cd=("ethnicity_cd", "last"),
        hispanic=("hispanic", "last"), birth_dt=("birth_dt", "first"))
    demo.index = pd.Index(np.asarray(child_ids, dtype=object)[demo.index.to_numpy()],
                          name="child_id")
    children = pd.DataFrame({
        "sex": by_distinct(demo[["sex"]], lambda d: sex_labels(d["sex"])),
        "ethnicity": by_distinct(demo[["ethnicity_cd", "hispanic"]],
                                 lambda d: codes.ethnic_group_series(d["ethnicity_cd"],
                                                                     d["hispanic"])),
        "birth_dt": demo["birth_dt"].to_numpy(),
    }, index=demo.index)

    # Each episode's child as her row in ``children``: the measures that join episodes to other
    # files by child (2F's visits, 4A's siblings, the rates' demographics) look ids up once.
    episodes["child"] = children.index.get_indexer(episodes["child_id"].to_numpy(dtype=object))

    dates = [placements["placement_start"], placements["placement_end"],
             episodes["episode_start"], episodes["episode_end"]]
    as_of = max((d.max() for d in dates if d.notna().any()), default=pd.NaT)
    return FosterCare(placements=placements, episodes=episodes, children=children,
                      excluded_episodes=excluded_count, as_of=as_of)


def sex_labels(values: pd.Series) -> pd.Series:
    text = values.astype("string").fillna("").str.strip().str.upper()
    return text.map(SEX_LABELS).fillna(codes.MISSING).astype(object)


# --- shared cohort rules ----------------------------------------------------------------------


def included_agencies() -> list[str]:
    t = codes.tables().agency_types
    return list(dict.fromkeys(t.loc[t["excluded"] != "Y", "agency_type"]))


def of_agencies(episodes: pd.DataFrame, agencies: Iterable[str]) -> pd.DataFrame:
    return episodes[episodes["agency"].isin(list(agencies))]


def length_of_stay(episodes: pd.DataFrame) -> pd.Series:
    """Days from entry to exit (end − start); missing while the episode is open."""
    return (episodes["episode_end"] - episodes["episode_start"]).dt.days


def short_stay(episodes: pd.DataFrame) -> pd.Series:
    """Completed episodes of fewer than 8 days; an open episode is never short."""
    return length_of_stay(episodes).lt(SHORT_STAY_DAYS).fillna(False).astype(bool)


def entered_as_adult(episodes: pd.DataFrame) -> pd.Series:
    return age_on(episodes["birth_dt"], episodes["episode_start"]).ge(ADULT_AGE).fillna(False)


def exited_as_adult(episodes: pd.DataFrame) -> pd.Series:
    age = age_on(episodes["birth_dt"], episodes["episode_end"])
    return age.ge(ADULT_AGE).fillna(False).astype(bool)


def within_12_months(earlier: pd.Series, later: pd.Series) -> pd.Series:
    """``later`` is on or after ``earlier`` and at most 365 days after it; missing → False."""
    gap = later - earlier
    return ((gap >= pd.Timedelta(0)) & (gap <= WITHIN_12_MONTHS)).fillna(False).astype(bool)


def entries(episodes: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Episodes that start in the period."""
    start = episodes["episode_start"]
    return episodes[(start >= period.start) & (start <= period.end)]


def first_entries(episodes: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Each child's first entry in the period (the entry cohort; one episode per child).

    The first entry is chosen before any exclusion: a child whose first entry in the period
    lasted under 8 days is out of the cohort even if a later entry in the period was longer.
    """
    return entries(episodes, period).drop_duplicates("child_id", keep="first")


def in_care_on(episodes: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    """Episodes begun before ``day`` and not ended before it (an exit on ``day`` is in care)."""
    end = episodes["episode_end"]
    return episodes[(episodes["episode_start"] < day) & (end.isna() | (end >= day))]
