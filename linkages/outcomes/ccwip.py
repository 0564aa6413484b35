"""The California (CCWIP / C-CFSR) measures beyond the federal ones: timely response (2B, 2D),
monthly caseworker visits (2F), siblings placed together (4A), adoption within 24 months
(CFSR2 C2.1) and the participation rates (referrals, substantiations and entries per 1,000
children). Definitions: outcome-measures.md §3 and seeds 000 and 001; each function's docstring
says how its boundaries are read.

Each is a units function as in :mod:`.measures`; the inputs beyond the foster care file come in
``Inputs.files`` under the names of :data:`.files.FILE_OPTIONS`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from linkages import codes
from linkages.outcomes import core
from linkages.outcomes.core import MeasureInputError, Period
from linkages.outcomes.files import FILE_OPTIONS, POPULATION_ETHNIC_GROUPS
from linkages.outcomes.measures import Inputs, Measure, _cohort, _units

DAY = pd.Timedelta(days=1)
WITHIN_24_HOURS = pd.Timedelta(hours=24)
WITHIN_10_DAYS = 10  # calendar days from the day of receipt


def _file(inputs: Inputs, name: str, code: str) -> pd.DataFrame:
    if name not in inputs.files or inputs.files[name] is None:
        raise MeasureInputError(f"{code} needs {FILE_OPTIONS[name]}")
    return inputs.files[name]


def _text(values: pd.Series) -> pd.Series:
    return pd.Series(core.trimmed_text(values.fillna("")), index=values.index)


def _distinct(values: pd.Series, rule) -> np.ndarray:
    """``rule`` applied to the distinct values only (codes repeat over a million rows)."""
    codes_, uniques = pd.factorize(values, use_na_sentinel=False)
    return np.asarray(rule(pd.Series(uniques, dtype=object)))[codes_]


def _token(values: pd.Series) -> pd.Series:
    """Lower case, spaces and slashes as underscores: 'Investigate Referral' ->
    'investigate_referral'."""
    def rule(u: pd.Series) -> pd.Series:
        return (u.astype("string").fillna("").str.strip().str.lower()
                .str.replace(r"[\s/-]+", "_", regex=True)).to_numpy(dtype=object)
    return pd.Series(_distinct(values, rule), index=values.index)


def _at(day: pd.Series, time: pd.Series) -> pd.Series:
    """A date and an ``HH:MM`` (or ``HH:MM:SS``) time as one timestamp."""
    def rule(u: pd.Series) -> np.ndarray:
        t = u.astype("string").fillna("0:00").str.strip()
        t = t.where(t.str.count(":") == 2, t + ":00")
        return pd.to_timedelta(t).to_numpy()
    return pd.Series(pd.to_datetime(day, cache=False).to_numpy() + _distinct(time, rule),
                     index=day.index)


def _shared(inputs: Inputs, key: str, sources: tuple[str, ...], build):
    """A frame worked out from input files once per run, not once per measure: kept in the
    prepared foster care data's cache (shared by every ``compute`` call on it) together with
    the source frames it came from, and reused only while those are the very same objects."""
    frames = tuple(inputs.files.get(name) for name in sources)
    slot = (key, tuple(id(f) for f in frames))
    cached = inputs.foster_care.cache.get(slot)
    if cached is not None and all(a is b for a, b in zip(cached[0], frames, strict=True)):
        return cached[1]
    value = build()
    inputs.foster_care.cache[slot] = (frames, value)
    return value


def _county_names(values: pd.Series) -> np.ndarray:
    def rule(u: pd.Series) -> np.ndarray:
        return pd.to_numeric(u).map(codes.county_names()).fillna(codes.MISSING).to_numpy()
    return _distinct(values, rule)


def _ids(inputs: Inputs, name: str, column: str) -> tuple[np.ndarray, np.ndarray]:
    """An id column of an input file coded as integers once per run: ``(codes, ids)``, ``ids``
    the distinct trimmed ids and ``codes[i]`` the position of row ``i``'s id in them. A missing
    id reads as the empty text (as :func:`_text` reads it). Every measure that joins on the
    column (2B's referrals and children, the rates' children, 2F's visits) then works on the
    integers instead of hashing a million id strings again."""
    frame = inputs.files[name]

    def build() -> tuple[np.ndarray, np.ndarray]:
        return core.coded_text(frame[column].fillna(""))
    return _shared(inputs, f"ids_{column}", (name,), build)


def _id_text(inputs: Inputs, name: str, column: str) -> np.ndarray:
    """The trimmed ids of a column (``_text`` of it), from :func:`_ids`."""
    codes_, ids = _ids(inputs, name, column)
    return ids[codes_]


def _id_lookup(index: pd.Index, inputs: Inputs, name: str, column: str) -> np.ndarray:
    """Positions of the (trimmed) ids of a column in ``index`` (-1: not there), looked up once
    per distinct id."""
    codes_, ids = _ids(inputs, name, column)
    return index.get_indexer(ids)[codes_] if len(ids) else np.full(len(codes_), -1)


def _column_token(inputs: Inputs, name: str, column: str) -> np.ndarray:
    """:func:`_token` of a whole column of an input file, once per run."""
    frame = inputs.files[name]
    return _shared(inputs, f"token_{column}", (name,),
                   lambda: _token(frame[column]).to_numpy())


# --- 2B / 2D ----------------------------------------------------------------------------------


def _referrals(inputs: Inputs) -> pd.DataFrame:
    r = _file(inputs, "referrals", "2B")

    def build() -> pd.DataFrame:
        response = _token(r["response_type"])
        return pd.DataFrame({
            "referral_id": _id_text(inputs, "referrals", "referral_id"),
            "received_dt": pd.to_datetime(r["received_dt"], cache=False).to_numpy(),
            "received_at": _at(r["received_dt"], r["received_time"]).to_numpy(),
            "response_type": response.to_numpy(),
            # The two measures' response types, tested once rather than every quarter.
            "immediate": (response == "immediate").to_numpy(),
            "ten_day": response.isin(TEN_DAY_TYPES).to_numpy(),
            "county": _county_names(r["county_cd"]),
        })
    return _shared(inputs, "2b_referrals", ("referrals",), build)


TEN_DAY_TYPES = ("3_day", "5_day", "10_day")  # pooled as the "10-day" response type


def _referral_index(inputs: Inputs) -> pd.Index:
    return _shared(inputs, "2b_index", ("referrals",),
                   lambda: pd.Index(_referrals(inputs)["referral_id"]))


def _referral_children(inputs: Inputs) -> pd.DataFrame:
    """(referral code, child id) of every child with an allegation on a referral of the
    referrals file (the code is the referral's row in it)."""
    _file(inputs, "allegations", "2B")

    def build() -> pd.DataFrame:
        code = _id_lookup(_referral_index(inputs), inputs, "allegations", "referral_id")
        child, ids = _ids(inputs, "allegations", "child_id")
        frame = pd.DataFrame({"referral": code, "child": child})
        frame = frame[frame["referral"] >= 0].drop_duplicates()
        # child: the child's code in the allegation file's child ids (:func:`_ids`)
        frame["child_id"] = ids[frame["child"].to_numpy()]
        return frame
    return _shared(inputs, "2b_children", ("referrals", "allegations"), build)


def _lookup(index: pd.Index, ids: pd.Series) -> np.ndarray:
    """Positions of (trimmed) ids in ``index`` (-1: not there), looked up once per distinct
    id."""
    codes_, uniques = pd.factorize(ids)
    if not len(uniques):
        return np.full(len(codes_), -1, dtype="int64")
    trimmed = pd.Series(np.asarray(uniques, dtype=object)).astype(str).str.strip()
    found = index.get_indexer(trimmed.to_numpy(dtype=object))
    return np.where(codes_ >= 0, found[np.clip(codes_, 0, None)], -1)


def _timely_referrals(inputs: Inputs, variant_2d: bool) -> pd.DataFrame:
    """Per referral of the referrals file (in its order): timely immediate, timely 10-day,
    from the qualifying contacts."""
    sources = ("referrals", "contacts", "allegations") if variant_2d else ("referrals",
                                                                            "contacts")
    return _shared(inputs, f"2b_timely_{variant_2d}", sources,
                   lambda: _build_timely(inputs, variant_2d))


def _build_timely(inputs: Inputs, variant_2d: bool) -> pd.DataFrame:
    refs = _referrals(inputs)
    c = _file(inputs, "contacts", "2B")

    def token(column: str) -> np.ndarray:
        return _column_token(inputs, "contacts", column)
    status = token("status")
    ok = ((token("service_type") == "investigate_referral") & (token("method") == "in_person")
          & (token("staff") == "y"))
    if variant_2d:
        ok &= (status == "completed") & (token("party") == "child")
    else:
        ok &= np.isin(status, ["completed", "attempted"])
    c = c[ok]
    referral = _id_lookup(_referral_index(inputs), inputs, "contacts", "referral_id")[ok]
    known = referral >= 0
    if variant_2d:  # the child seen has an allegation on the referral
        kids = _referral_children(inputs)
        # The contact's child as her code among the allegation file's child ids (-1: she has
        # no allegation at all), so that (referral, child) pairs compare as integers.
        alleged = _shared(inputs, "2d_alleged", ("allegations",),
                          lambda: pd.Index(_ids(inputs, "allegations", "child_id")[1]))
        child = _id_lookup(alleged, inputs, "contacts", "child_id")[ok]
        width = len(alleged) + 1
        seen = referral.astype("int64") * width + child
        known &= (child >= 0) & _member(seen, np.sort(
            kids["referral"].to_numpy().astype("int64") * width
            + kids["child"].to_numpy().astype("int64")))
    referral = referral[known]
    contact_at = _at(c["contact_dt"], c["contact_time"]).to_numpy()[known]
    contact_dt = pd.to_datetime(c["contact_dt"], cache=False).to_numpy()[known]
    gap = contact_at - refs["received_at"].to_numpy()[referral]
    days = (contact_dt - refs["received_dt"].to_numpy()[referral]) // np.timedelta64(1, "D")
    after = gap >= np.timedelta64(0)
    n = len(refs)
    immediate = np.bincount(referral[after & (gap <= WITHIN_24_HOURS.to_timedelta64())],
                            minlength=n) > 0
    ten_day = np.bincount(referral[after & (days <= WITHIN_10_DAYS)], minlength=n) > 0
    return pd.DataFrame({"immediate": immediate, "ten_day": ten_day}, index=refs.index)


def timely_units(inputs: Inputs, period: Period, immediate: bool,
                 variant_2d: bool) -> pd.DataFrame:
    """2B (or 2D) Referrals by time to investigation, one calendar quarter.

    Denominator: referrals received in the quarter (``received_dt`` from the first to the last
    day of the quarter) with response type ``immediate`` (the immediate measure) or ``3_day``,
    ``5_day`` or ``10_day`` (pooled as the 10-day measure); ``evaluate_out`` is in neither.
    Numerator: referrals with at least one contact, for any child on the referral, that is
    service type ``investigate_referral``, method ``in_person``, status ``attempted`` or
    ``completed``, by staff (``staff`` = ``Y``), and made
    * immediate: 0 to 24 hours after receipt (``0 <= contact date-time − received date-time <=
      24 h``; a contact exactly 24 hours later is timely, a minute later is not);
    * 10-day: on or after the receipt and no later than the 10th calendar day after the day of
      receipt (``contact_dt − received_dt <= 10`` days; the hour on the 10th day does not
      matter).
    A contact before the receipt never counts.
    2D: as 2B with status ``completed`` only, and the contact party is the child
    (``party`` = ``child``, "staff person/child"), a child with an allegation on the referral.
    County: the county that received the referral. A referral is CalWORKs-matched when any
    child with an allegation on it is matched.
    """
    refs = _referrals(inputs)
    in_quarter = (refs["received_dt"] >= period.start) & (refs["received_dt"] <= period.end)
    chosen = in_quarter.to_numpy() & refs["immediate" if immediate else "ten_day"].to_numpy()
    den = refs[chosen]
    timely = _timely_referrals(inputs, variant_2d)
    num = timely["immediate" if immediate else "ten_day"].to_numpy()[chosen]
    out = pd.DataFrame({"child_id": den["referral_id"].to_numpy(), "ep": -1,
                        "numerator": num.astype("int64"),
                        "denominator": np.ones(len(den), dtype="int64"),
                        "county": den["county"].to_numpy()})
    if inputs.matched is not None:
        kids = _referral_children(inputs)
        matched_refs = np.zeros(len(refs), dtype=bool)
        matched_refs[kids.loc[kids["child_id"].isin(inputs.matched), "referral"]
                     .to_numpy()] = True
        out["calworks_match"] = np.where(matched_refs[chosen], core.MATCHED, core.NOT_MATCHED)
    return out


# --- 2F ---------------------------------------------------------------------------------------


def _months(period: Period) -> list[pd.Timestamp]:
    out, m = [], period.start.replace(day=1)
    while m <= period.end:
        out.append(m)
        m = m + pd.DateOffset(months=1)
    return out


def _month_number(values: pd.Series | np.ndarray) -> np.ndarray:
    """Months since 1970-01 of dates."""
    dates = pd.to_datetime(pd.Series(np.asarray(values)), cache=False)
    return np.asarray(dates.to_numpy("datetime64[M]").astype("int64"))


_MONTH_SPAN = 1 << 16


def _sorted_set(values: np.ndarray) -> np.ndarray:
    """Sorted distinct int64 values (a plain sort: faster here than np.unique's hashing)."""
    v = np.sort(values)
    return v[np.r_[True, v[1:] != v[:-1]]] if len(v) else v


def _member(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """``values`` found in ``sorted_set`` (binary search)."""
    if not len(sorted_set):
        return np.zeros(len(values), dtype=bool)
    pos = np.clip(core.search(sorted_set, values), 0, len(sorted_set) - 1)
    return sorted_set[pos] == values


def _visit_months(inputs: Inputs) -> tuple[np.ndarray, np.ndarray]:
    """Sorted keys (child code x month) with a completed in-person visit; the same with one
    in the placement."""
    v = _file(inputs, "visits", "2F")

    def build() -> tuple[np.ndarray, np.ndarray]:
        made = ((_token(v["method"]) == "in_person") & (_token(v["status"]) == "completed"))
        w = v[made.to_numpy()]
        child = _lookup(inputs.foster_care.children.index, w["child_id"])
        key = child.astype("int64") * _MONTH_SPAN + _month_number(w["visit_dt"])
        key = np.where(child >= 0, key, -1)
        there = (_token(w["location"]) == "placement").to_numpy()
        return _sorted_set(key[key >= 0]), _sorted_set(key[(key >= 0) & there])
    return _shared(inputs, "2f_visits", ("visits",), build)


def visit_units(inputs: Inputs, period: Period, in_placement: bool) -> pd.DataFrame:
    """2F Timely monthly caseworker visits (out of home), each calendar month of the period.

    Required group (1): children whose placement episode was open for the full calendar month:
    began on or before its first day and not ended before its last day (an exit on the last
    day of the month is a full month; an entry on the 2nd is not). One unit per child and month.
    Group 2: children of group 1 with a completed (``status`` = ``completed``), in-person
    (``method`` = ``in_person``) visit dated in that month.
    Group 3: children of group 2 with such a visit in the placement (``location`` =
    ``placement``).
    ``2F``: group 2 / group 1; ``2F-LOC``: group 3 / group 2. A monthly measure has one month
    per period; the "by year" ones sum the numerators and denominators of the 12 months
    (child-months, so a child counts once per month) and also give each cell's unduplicated
    count of children in group 1 (``children``): a child in group 1 in any month of the period
    counts once, and each county counts its own children (one who moved from Fresno to Kern
    counts once in each and once in the state), so counties do not sum to the state.
    County, agency, age and placement type: on the first day of the month.
    Cohort: child-welfare-supervised and probation-supervised care ("applies to" both, §3):
    the default agencies are Child Welfare and Probation, also with ``--by agency``;
    ``--agency`` restricts it (CCWIP's probation data begin in 2012; the file's do wherever
    they begin). Not applied: the exclusion of non-dependents placed with non-relative legal
    guardians (the foster care file has no dependency status).
    """
    frames = [_month_units(inputs, month, in_placement) for month in _months(period)]
    return pd.concat(frames, ignore_index=True)


def _month_units(inputs: Inputs, month: pd.Timestamp, in_placement: bool) -> pd.DataFrame:
    """The units of one month (shared by the rolling years that contain it)."""
    def build() -> pd.DataFrame:
        base, made, there = _month_group1(inputs, month)
        if in_placement:  # group 3 out of group 2; the rest of group 1 kept, counting 0 / 0
            num, den = made & there, made
        else:
            num, den = made, np.ones(len(base), dtype=bool)
        return base.assign(numerator=num.astype("int64"), denominator=den.astype("int64"))
    return _shared(inputs, f"2f_{month:%Y-%m}_{in_placement}_{inputs.agencies}", ("visits",),
                   build)


def _month_group1(inputs: Inputs, month: pd.Timestamp
                  ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Group 1 of a month (one row per child in care all month, with the dates and county of
    her units) and, per row, whether she had a visit made (group 2) and one in the placement:
    shared by 2F and 2F-LOC."""
    def build() -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
        eps = _cohort(inputs)
        any_visit, there = _visit_months(inputs)
        last = month + pd.DateOffset(months=1) - DAY
        full = eps[(eps["episode_start"] <= month)
                   & (eps["episode_end"].isna() | (eps["episode_end"] >= last))]
        keys = (full["child"].to_numpy(dtype="int64") * _MONTH_SPAN
                + _month_number(np.array([month]))[0])
        on = pd.Series(month, index=full.index)
        base = pd.DataFrame({"child_id": full["child_id"].to_numpy(),
                             "child": full["child"].to_numpy(),  # her code, for nunique
                             "ep": full.index.to_numpy(dtype="int64"),
                             "age_on": month, "county_on": month, "placement_on": month,
                             # County on the first of the month, worked out here once per
                             # month rather than by every rolling year that contains it.
                             "county": core.county_on(inputs.foster_care, full.index, on)})
        return base, _member(keys, any_visit), _member(keys, there)
    return _shared(inputs, f"2f_{month:%Y-%m}_{inputs.agencies}", ("visits",), build)


# --- 4A ---------------------------------------------------------------------------------------


def _homes(inputs: Inputs) -> tuple[np.ndarray, np.ndarray]:
    """The placement homes file as (sorted keys, home ids): each row keyed as the prepared
    placements are, episode code x day number of the placement start (rows of episodes not in
    the prepared data left out; of two rows with one key, the first in the file)."""
    h = _file(inputs, "homes", "4A")

    def build() -> tuple[np.ndarray, np.ndarray]:
        eps = inputs.foster_care.episodes
        pos = pd.Index(eps["episode_id"].to_numpy(dtype=object)).get_indexer(
            _text(h["episode_id"]).to_numpy(dtype=object))
        days, missing = core.day_numbers(h["placement_start"])
        keep = (pos >= 0) & ~missing
        keys = eps.index.to_numpy(dtype="int64")[pos[keep]] * core.DAY_SPAN + days[keep]
        home = _text(h["placement_home_id"]).to_numpy(dtype=object)[keep]
        order = np.argsort(keys, kind="stable")
        keys, home = keys[order], home[order]
        first = np.r_[True, keys[1:] != keys[:-1]] if len(keys) else np.zeros(0, dtype=bool)
        return keys[first], home[first]
    return _shared(inputs, "4a_homes", ("homes",), build)


def _home_on(inputs: Inputs, eps: pd.DataFrame, placed: pd.DataFrame) -> np.ndarray:
    """The home of each episode's placement ``placed`` (None: not in the homes file)."""
    keys, homes = _homes(inputs)
    days, missing = core.day_numbers(placed["placement_start"])
    wanted = eps.index.to_numpy(dtype="int64") * core.DAY_SPAN + days
    out = np.full(len(eps), None, dtype=object)
    if not len(keys):
        return out
    pos = np.clip(core.search(keys, wanted), 0, len(keys) - 1)
    found = (keys[pos] == wanted) & ~missing
    out[found] = homes[pos[found]]
    return out


def _sibling_pairs(inputs: Inputs) -> pd.DataFrame:
    s = _file(inputs, "siblings", "4A")

    def build() -> pd.DataFrame:
        index = inputs.foster_care.children.index
        a, b = _lookup(index, s["child_id"]), _lookup(index, s["sibling_id"])
        pairs = pd.DataFrame({"child": np.concatenate([a, b]),
                              "sibling": np.concatenate([b, a])})
        # Children never in foster care are never in care on the day: left out here.
        pairs = pairs[(pairs["child"] >= 0) & (pairs["sibling"] >= 0)
                      & (pairs["child"] != pairs["sibling"])]
        return pairs.drop_duplicates()
    return _shared(inputs, "4a_pairs", ("siblings",), build)


def siblings_units(inputs: Inputs, period: Period, category: str) -> pd.DataFrame:
    """4A Siblings placed together, point in time on the period's day (the first day of a
    quarter).

    In care that day: an episode of the selected agencies (Child Welfare by default, as CCWIP's
    child-welfare-supervised scope) begun on or before it and not ended before it (an exit on
    the day is still in care). The child's home is that of the placement in effect that day,
    or, with no active placement, the last placement begun before it (its last known home);
    the home comes from the placement homes file by (episode_id, placement_start).
    A child's siblings in care are the children named with her in the siblings file (either
    way round) who are in care that day **in the same county** (the county of that placement):
    sibling groups are formed within county, so a sister in care in another county is not
    counted, and a child whose only siblings in care are elsewhere is a group of one.
    Denominator: children with at least one sibling in care (groups of one are excluded).
    ``4A-ALL``: placed in the same home as every one of those siblings; ``4A-SOME``: as at
    least one of them ("some or all"); ``4A-MISSING``: the child's own home is not known (no
    placement homes row for her placement, or no placement yet on the day). "Since 2020,
    percentages include a 'Missing' category": such a child stays in the denominator of all
    three and is in the Missing numerator only, never placed with all or some siblings, so the
    three shares (and the "none" remainder) are of the same children. A sibling whose home is
    not known is never "together" with the child: a child whose home is known but one of
    whose siblings' is not is not placed with all of them (she may be with some).
    """
    day = period.start
    eps = _cohort(inputs)
    eps = eps[(eps["episode_start"] <= day) & (eps["episode_end"].isna()
                                               | (eps["episode_end"] >= day))]
    on = pd.Series(day, index=eps.index)
    placed = inputs.foster_care.placement_on(eps.index, on)
    home = pd.Series(_home_on(inputs, eps, placed), index=eps.index)
    kids = pd.DataFrame({"child": eps["child"].to_numpy(),
                         "ep": eps.index.to_numpy(),
                         "county_cd": placed["county_cd"].to_numpy(),
                         "home": home.to_numpy()})
    pairs = _sibling_pairs(inputs).merge(kids, on="child").merge(
        kids.rename(columns={"child": "sibling", "ep": "sib_ep",
                             "county_cd": "sib_county", "home": "sib_home"}),
        on="sibling")
    pairs = pairs[pairs["county_cd"] == pairs["sib_county"]]
    together = (pairs["home"].notna() & (pairs["home"] == pairs["sib_home"])).to_numpy()
    counts = pd.DataFrame({"ep": pairs["ep"].to_numpy(), "n": 1, "together": together}) \
        .groupby("ep")[["n", "together"]].sum()
    grouped = eps.loc[counts.index]
    if category == "missing":
        success = home.loc[counts.index].isna()
    elif category == "all":
        success = counts["together"] == counts["n"]
    else:
        success = counts["together"] >= 1
    return _units(grouped, success.to_numpy(), 1, age_on=pd.Series(day, index=grouped.index),
                  county_on=pd.Series(day, index=grouped.index),
                  placement_on=pd.Series(day, index=grouped.index))


# --- C2.1 -------------------------------------------------------------------------------------


def adoption_units(inputs: Inputs, period: Period) -> pd.DataFrame:
    """C2.1 Exits to adoption in less than 24 months (CFSR round 2 composite C2).

    Denominator: children discharged from foster care to a finalized adoption (exit type
    ``adoption`` of config/codes/termination_reasons.csv) in the period (episode end from its
    first to its last day); a child adopted twice in a period counts once, for the first.
    Numerator: the discharge came less than 24 months after the latest removal, the start of
    the episode that ended in adoption: ``episode_end < episode_start + 24 calendar months``
    (removed 2019-03-15: adopted 2021-03-14 counts, 2021-03-15 does not).
    County, age and placement type: on the day of discharge (the last placement).
    """
    eps = _cohort(inputs)
    end = eps["episode_end"]
    ep = eps[(eps["exit_type"] == "adoption").to_numpy() & (end >= period.start)
             & (end <= period.end)]
    ep = ep.sort_values(["child_id", "episode_end"], kind="stable").drop_duplicates("child_id")
    deadline = ep["episode_start"] + pd.DateOffset(months=24)
    quick = (ep["episode_end"] < deadline).to_numpy()
    return _units(ep, quick, 1, age_on=ep["episode_end"], county_on=ep["episode_end"],
                  placement_on=ep["episode_end"])


# --- participation rates ----------------------------------------------------------------------


def population_year(period: Period) -> int:
    """The population year of a period: the year of its midpoint (start + 182 days), so Jan-Dec
    2020 -> 2020, Oct 2018-Sep 2019 -> 2019, Jul 2019-Jun 2020 -> 2019."""
    return (period.start + pd.Timedelta(days=182)).year


def _population_units(inputs: Inputs, period: Period, code: str) -> pd.DataFrame:
    pop = _file(inputs, "population", code)
    year = population_year(period)
    rows = pop[pd.to_numeric(pop["year"]) == year]
    if rows.empty:
        years = sorted(pd.to_numeric(pop["year"]).dropna().astype(int).unique())
        raise MeasureInputError(
            f"the population file has no rows for {year} (the year of the period "
            f"{period.label}); it has {', '.join(map(str, years)) or 'no years'}")
    have = set(pd.to_numeric(rows["county_cd"]).astype(int))
    names = codes.county_names()
    missing = [f"{cd} {names[cd]}" for cd in sorted(names) if cd not in have]
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5
                                          else "")
        raise MeasureInputError(
            f"the population file has no children for county {shown} in {year}: the rates "
            "need every county's population (the statewide rate would be wrong)")
    canon = {g.lower(): g for g in POPULATION_ETHNIC_GROUPS}  # the reader is case-blind
    return pd.DataFrame({
        "child_id": "", "ep": -1, "numerator": 0,
        "denominator": pd.to_numeric(rows["population"]).to_numpy(dtype="int64"),
        "county": _county_names(rows["county_cd"]),
        "age_group": rows["age_group"].astype(str).str.strip().to_numpy(),
        "ethnicity": rows["ethnic_group"].astype(str).str.strip().str.lower().map(canon)
        .to_numpy(),
    })


def _child_demographics(inputs: Inputs) -> pd.DataFrame:
    """child_id -> birth_dt and ethnicity: the CWS children file where it has the child, else
    the foster care file."""
    return _shared(inputs, "rate_children", ("children",), lambda: _build_demographics(inputs))


def _build_demographics(inputs: Inputs) -> pd.DataFrame:
    fc = inputs.foster_care.children[["birth_dt", "ethnicity"]]
    kids = inputs.files.get("children")
    if kids is not None:
        ids = pd.Series(core.trimmed_text(kids["record_id"]))
        first = ~ids.duplicated().to_numpy()
        k = kids.loc[first]
        blank = pd.Series("", index=k.index)
        coded = pd.DataFrame({"ethnicity_cd": k.get("ethnicity_cd", blank),
                              "hispanic": k.get("hispanic", blank)})
        own = pd.DataFrame({
            "birth_dt": pd.to_datetime(k["dob"], cache=False).to_numpy() if "dob" in k else pd.NaT,
            "ethnicity": core.by_distinct(coded, lambda d: codes.ethnic_group_series(
                d["ethnicity_cd"], d["hispanic"]))}, index=pd.Index(ids[first].to_numpy()))
        own["birth_dt"] = own["birth_dt"].fillna(own.index.to_series().map(fc["birth_dt"]))
        fc = pd.concat([own, fc[~fc.index.isin(own.index)]])
    return fc


def _event_units(child: pd.Series, code: np.ndarray, county_cd: pd.Series, when: pd.Series,
                 demographics: pd.DataFrame) -> pd.DataFrame:
    """``code``: each child's row in ``demographics`` (-1: unknown)."""
    found = code >= 0
    safe = np.clip(code, 0, None)
    birth = np.where(found, demographics["birth_dt"].to_numpy()[safe],
                     np.datetime64("NaT", "ns")) if len(demographics) else \
        np.full(len(code), np.datetime64("NaT", "ns"))
    age = core.age_on(pd.Series(birth), pd.Series(np.asarray(when), index=child.index))
    keep = ~age.ge(core.ADULT_AGE).fillna(False).to_numpy()
    ethnicity = (np.where(found, demographics["ethnicity"].to_numpy(dtype=object)[safe],
                          codes.MISSING) if len(demographics)
                 else np.full(len(code), codes.MISSING, dtype=object))
    return pd.DataFrame({
        "child_id": child.to_numpy()[keep], "ep": -1, "numerator": 1, "denominator": 0,
        "county": _county_names(county_cd[keep]),
        "age_group": codes.age_group_series(age[keep]).to_numpy(),
        "ethnicity": ethnicity[keep],
    })


def rate_units(inputs: Inputs, period: Period, event: str) -> pd.DataFrame:
    """Participation rates per 1,000 children (CCWIP): children with a referral (an
    allegation), with a substantiated allegation, or entering foster care in the period, per
    1,000 children of the population file.

    Numerator: unduplicated children under 18 with such an event dated in the period
    (``referral_received_dt``; for entries the episode start, selected agencies), each counted
    once, on her first event in the period: its county (the county that received the referral;
    the county of the first placement) and her age that day; ethnicity from the CWS children
    file, else the foster care file. A child with no known birth date is kept (age Missing).
    Denominator: the population file's children of the period's year
    (:func:`population_year`) in the same county, age group and ethnic group. Ethnic groups
    are the Department of Finance's: no population has ethnicity Missing, and no CWS child is
    Multi-Race, so those rows have no rate (CCWIP does the same). Every county must be in the
    population file for that year.
    """
    code = {"referral": "REF-RATE", "substantiation": "SUB-RATE", "entry": "ENTRY-RATE"}[event]
    pop = _population_units(inputs, period, code)
    demographics = _child_demographics(inputs)
    if event == "entry":
        ep = core.first_entries(_cohort(inputs), period)
        placed = inputs.foster_care.placement_on(ep.index, ep["episode_start"])
        events = _event_units(ep["child_id"], _lookup(demographics.index, ep["child_id"]),
                              placed["county_cd"], ep["episode_start"], demographics)
    else:
        a = _file(inputs, "allegations", code)

        def build() -> pd.DataFrame:
            chosen = np.ones(len(a), dtype=bool)
            if event == "substantiation":
                chosen = _column_token(inputs, "allegations", "disposition") == "substantiated"
            person, ids = _ids(inputs, "allegations", "child_id")
            person = person[chosen]
            found = _shared(inputs, "rate_found", ("allegations", "children"),
                            lambda: demographics.index.get_indexer(ids))
            frame = pd.DataFrame({"child_id": ids[person], "person": person,
                                  "code": found[person],
                                  "received": pd.to_datetime(a["referral_received_dt"],
                                                             cache=False).to_numpy()[chosen],
                                  "county_cd": a["county_cd"].to_numpy()[chosen]})
            return frame.sort_values(["received"], kind="stable")
        frame = _shared(inputs, f"rate_{event}", ("allegations", "children"), build)
        frame = frame[(frame["received"] >= period.start) & (frame["received"] <= period.end)]
        first = frame[~pd.Series(frame["person"].to_numpy()).duplicated().to_numpy()]
        events = _event_units(first["child_id"], first["code"].to_numpy(), first["county_cd"],
                              first["received"], demographics)
    return pd.concat([pop, events], ignore_index=True)


RATE_DIMENSIONS = ("county", "age_group", "ethnicity")
REFERRAL_SCOPE = "All referrals of the response type (no agency)"


def _timely(code: str, title: str, immediate: bool, variant_2d: bool) -> Measure:
    return Measure(code, title, "proportion",
                   lambda i, p: timely_units(i, p, immediate, variant_2d),
                   lower_is_better=False, period="quarter",
                   needs=("referrals", "contacts", "allegations"),
                   dimensions=("county", "calworks_match"), scope=REFERRAL_SCOPE)


VISIT_AGENCIES = (core.CHILD_WELFARE, "Probation")
"""2F's default cohort: "applies to child-welfare-supervised and probation-supervised care"."""


def _visits(code: str, title: str, in_placement: bool, period: str) -> Measure:
    return Measure(code, title, "proportion", lambda i, p: visit_units(i, p, in_placement),
                   lower_is_better=False, period=period, needs=("visits",),
                   agencies=VISIT_AGENCIES, unduplicated=period == "year")


def _siblings(code: str, title: str, category: str) -> Measure:
    return Measure(code, title, "proportion", lambda i, p: siblings_units(i, p, category),
                   lower_is_better=category == "missing", period="day",
                   needs=("siblings", "homes"))


def _rate(code: str, title: str, event: str, needs: tuple[str, ...], scope: str) -> Measure:
    return Measure(code, title, "rate", lambda i, p: rate_units(i, p, event), per=1_000,
                   per_unit="children", needs=needs, dimensions=RATE_DIMENSIONS, scope=scope)


ALLEGATION_SCOPE = "All children with an allegation (no agency), per the population file"

MEASURES: dict[str, Measure] = {m.code: m for m in (
    _timely("2B-IMM", "Timely response: immediate referrals investigated within 24 hours",
            True, False),
    _timely("2B-10DAY", "Timely response: 10-day referrals investigated within 10 days",
            False, False),
    _timely("2D-IMM", "Timely response (child seen, completed): immediate referrals",
            True, True),
    _timely("2D-10DAY", "Timely response (child seen, completed): 10-day referrals",
            False, True),
    _visits("2F", "Monthly caseworker visits: child-months with a visit (by year)",
            False, "year"),
    _visits("2F-M", "Monthly caseworker visits: children with a visit (one month)",
            False, "month"),
    _visits("2F-LOC", "Monthly caseworker visits made in the placement (by year)",
            True, "year"),
    _visits("2F-LOC-M", "Monthly caseworker visits made in the placement (one month)",
            True, "month"),
    _siblings("4A-ALL", "Siblings placed together: with all siblings in care (point in time)",
              "all"),
    _siblings("4A-SOME", "Siblings placed together: with some or all siblings (point in time)",
              "some"),
    _siblings("4A-MISSING", "Siblings placed together: placement home missing (point in time)",
              "missing"),
    Measure("C2.1", "Exits to adoption in less than 24 months from the latest removal",
            "proportion", adoption_units, lower_is_better=False),
    _rate("REF-RATE", "Children with a referral per 1,000 children", "referral",
          ("allegations", "population"), ALLEGATION_SCOPE),
    _rate("SUB-RATE", "Children with a substantiated allegation per 1,000 children",
          "substantiation", ("allegations", "population"), ALLEGATION_SCOPE),
    _rate("ENTRY-RATE", "Children entering foster care per 1,000 children", "entry",
          ("population",), "Entries of agencies: {agencies}, per the population file"),
)}
