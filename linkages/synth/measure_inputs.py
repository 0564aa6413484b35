"""The inputs of the California measures (docs/data-files.md), generated from the synthetic
foster care and allegation files: referrals with their response type and investigation
contacts (2B/2D), monthly caseworker visits (2F), sibling relationships and placement homes
(4A), and a synthetic child population (the rates).

Sibling groups are formed among foster children of the same county whose first entries are
close in time (the foster care simulation removes children one by one, so the population's
families would rarely have two children in care at once); a sibling's placement that overlaps
the first sibling's is in the same home with probability ``placed_with_sibling``. The
population file is synthetic and says so in its ``source`` column: no published county figures
are shipped (none were found in a form that could be cited; see docs/data-files.md).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from linkages import codes
from linkages.synth.params import Choice, SynthParams
from linkages.synth.util import DAY, ids, uniform_dates

POPULATION_SOURCE = "synthetic (linkages synth; not Department of Finance figures)"


def _time_text(minutes: np.ndarray) -> np.ndarray:
    minutes = np.asarray(minutes, dtype=np.int64) % (24 * 60)
    hh = np.char.zfill((minutes // 60).astype(str), 2)
    mm = np.char.zfill((minutes % 60).astype(str), 2)
    return np.char.add(np.char.add(hh, ":"), mm).astype(object)


def referrals_and_contacts(rng: np.random.Generator, params: SynthParams, alleg: pd.DataFrame,
                           cutoff: np.datetime64) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per referral of the allegation file; its investigation contacts."""
    mi = params["measure_inputs"]
    first = alleg.drop_duplicates("referral_id")
    n = len(first)
    received = first["referral_received_dt"].to_numpy().astype("datetime64[D]")
    minute = rng.integers(0, 24 * 60, n)
    rtype = Choice.of(mi["response_type"]).draw(rng, n)
    refs = pd.DataFrame({"referral_id": first["referral_id"].to_numpy(),
                         "county_cd": first["county_cd"].to_numpy(),
                         "received_dt": received, "received_time": _time_text(minute),
                         "response_type": rtype})

    investigated = rtype != "evaluate_out"
    immediate = rtype == "immediate"
    timely = rng.random(n) < np.where(immediate, mi["timely"]["immediate"],
                                      mi["timely"]["ten_day"])
    late_none = ~timely & (rng.random(n) < mi["no_contact"])
    has = investigated & ~late_none
    # Minutes from receipt to the visit.
    delay = np.where(
        immediate,
        np.where(timely, rng.integers(15, 24 * 60 - 1, n), rng.integers(24 * 60 + 1, 96 * 60, n)),
        0)
    # 10-day types: a day 1..10 after receipt (timely) or 11..30 (late), in working hours.
    day_offset = np.where(timely, rng.integers(1, 11, n), rng.integers(11, 31, n))
    work_minute = rng.integers(8 * 60, 18 * 60, n)
    at_minutes = np.where(immediate, minute + delay,
                          day_offset * 24 * 60 + work_minute)
    contact_day = received + (at_minutes // (24 * 60)) * DAY
    rows = np.flatnonzero(has)
    child = first["child_id"].to_numpy()
    k = len(rows)
    status = np.where(rng.random(k) < mi["attempted"], "attempted", "completed")
    party = np.where(rng.random(k) < mi["party_other"], "other", "child")
    visits = pd.DataFrame({"referral_id": refs["referral_id"].to_numpy()[rows],
                           "child_id": child[rows],
                           "contact_dt": contact_day[rows],
                           "contact_time": _time_text(at_minutes[rows]),
                           "service_type": "investigate_referral", "method": "in_person",
                           "status": status, "staff": "Y", "party": party})
    phone_rows = rows[rng.random(k) < mi["phone_first"]]
    phone_minutes = minute[phone_rows] + rng.integers(5, 60, len(phone_rows))
    phones = pd.DataFrame({"referral_id": refs["referral_id"].to_numpy()[phone_rows],
                           "child_id": child[phone_rows],
                           "contact_dt": received[phone_rows] + (phone_minutes // (24 * 60)) * DAY,
                           "contact_time": _time_text(phone_minutes),
                           "service_type": "investigate_referral", "method": "phone",
                           "status": "completed", "staff": "Y", "party": "other"})
    contacts = pd.concat([visits, phones], ignore_index=True)
    contacts = contacts[contacts["contact_dt"].to_numpy() < cutoff]
    contacts = contacts.iloc[np.lexsort((contacts["contact_time"].to_numpy(),
                                         contacts["contact_dt"].to_numpy()))]
    contacts.insert(0, "contact_id", ids(rng, len(contacts), "K", 10))
    return refs, contacts.reset_index(drop=True)


def caseworker_visits(rng: np.random.Generator, params: SynthParams, foster: pd.DataFrame,
                      cutoff: np.datetime64) -> pd.DataFrame:
    """Visits of children in care in each month their episode touches (from ``visits_from`` to
    ``visits_until``)."""
    mi = params["measure_inputs"]
    start_m = np.datetime64(str(mi["visits_from"]), "M")
    until = min(np.datetime64(str(mi["visits_until"]), "D"), cutoff)
    until_m = np.datetime64(until, "M")
    ep = foster.drop_duplicates("episode_id")
    begin = ep["episode_start"].to_numpy().astype("datetime64[D]")
    end = ep["episode_end"].to_numpy().astype("datetime64[D]")
    end = np.where(np.isnat(end), until - DAY, end)
    first_m = np.maximum(begin.astype("datetime64[M]"), start_m)
    last_m = np.minimum(end.astype("datetime64[M]"), until_m - 1)
    months = (last_m - first_m).astype(np.int64) + 1
    months = np.clip(months, 0, None)
    row = np.repeat(np.arange(len(ep)), months)
    offset = np.arange(months.sum()) - np.repeat(np.cumsum(months) - months, months)
    month = first_m[row] + offset.astype("timedelta64[M]")
    lo = np.maximum(month.astype("datetime64[D]"), begin[row])
    hi = np.minimum((month + 1).astype("datetime64[D]") - DAY, end[row])
    ok = hi >= lo
    row, lo, hi = row[ok], lo[ok], hi[ok]
    n = len(row)
    draw = rng.random(n)
    made = draw < mi["visit_made"]
    attempted = ~made & (draw < mi["visit_made"] + mi["visit_attempted"])
    keep = made | attempted
    second = made & (rng.random(n) < mi["second_visit"])
    pick = np.concatenate([np.flatnonzero(keep), np.flatnonzero(second)])
    day = uniform_dates(rng, lo[pick], hi[pick], len(pick))
    other = Choice.of({"school": 0.5, "office": 0.3, "other": 0.2}).draw(rng, len(pick))
    location = np.where(rng.random(len(pick)) < mi["visit_in_placement"], "placement", other)
    visits = pd.DataFrame({"child_id": ep["child_id"].to_numpy()[row[pick]], "visit_dt": day,
                           "method": "in_person",
                           "status": np.where(made[pick], "completed", "attempted"),
                           "location": location})
    visits = visits.iloc[np.argsort(visits["visit_dt"].to_numpy(), kind="stable")]
    visits.insert(0, "visit_id", ids(rng, len(visits), "V", 10))
    return visits.reset_index(drop=True)


def siblings_and_homes(rng: np.random.Generator, params: SynthParams,
                       foster: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sibling pairs among foster children of a county, and a home for every placement."""
    mi = params["measure_inputs"]
    kids = foster.sort_values(["episode_start"], kind="stable").drop_duplicates("child_id")
    kids = kids.iloc[np.lexsort((kids["episode_start"].to_numpy(),
                                 kids["county_cd"].to_numpy()))]
    county = kids["county_cd"].to_numpy()
    sizes = Choice.of(mi["sibling_group_size"])
    group = np.empty(len(kids), dtype=np.int64)
    next_id, i = 0, 0
    drawn = sizes.draw(rng, len(kids) + 1).astype(int)
    # Groups never cross a county boundary, nor a gap of more than ``sibling_entry_gap_days``
    # between consecutive first entries (siblings are mostly removed together).
    start = kids["episode_start"].to_numpy().astype("datetime64[D]")
    gap = np.r_[0, (start[1:] - start[:-1]).astype(np.int64)]
    cut = np.r_[True, (county[1:] != county[:-1]) | (gap[1:] > mi["sibling_entry_gap_days"]),
                True]
    boundaries = np.flatnonzero(cut)
    for a, b in itertools.pairwise(boundaries):
        pos = a
        while pos < b:
            size = min(int(drawn[i % len(drawn)]), b - pos)
            group[pos:pos + size] = next_id
            next_id, pos, i = next_id + 1, pos + size, i + 1
    child = kids["child_id"].to_numpy()
    frame = pd.DataFrame({"child_id": child, "group": group})
    leader = frame.groupby("group")["child_id"].transform("first").to_numpy()
    pairs = frame.merge(frame, on="group", suffixes=("", "_b"))
    pairs = pairs[pairs["child_id"] < pairs["child_id_b"]]
    siblings = pd.DataFrame({
        "child_id": pairs["child_id"].to_numpy(), "sibling_id": pairs["child_id_b"].to_numpy(),
        "relationship": Choice.of(mi["sibling_relationship"]).draw(rng, len(pairs))})

    pl = foster[["child_id", "episode_id", "placement_start", "placement_end"]].reset_index(
        drop=True)
    pl["home"] = ids(rng, len(pl), "H", 9)
    lead_of = pd.Series(leader, index=child)
    pl["leader"] = pl["child_id"].map(lead_of).to_numpy()
    member = (pl["leader"] != pl["child_id"]).to_numpy()
    leaders = pl.loc[~member, ["child_id", "placement_start", "placement_end", "home"]].rename(
        columns={"child_id": "leader", "placement_start": "l_start", "placement_end": "l_end",
                 "home": "l_home"})
    members = pl.loc[member, ["leader", "placement_start"]].reset_index()
    members["placement_start"] = members["placement_start"].astype("datetime64[ns]")
    leaders["l_start"] = leaders["l_start"].astype("datetime64[ns]")
    members["placement_end"] = pl.loc[member, "placement_end"].to_numpy()
    # The first sibling's placement that overlaps this one the most (open ends run to the
    # latest date in the file).
    last = max(pd.Timestamp(pl["placement_start"].max()), pd.Timestamp(
        pl["placement_end"].max()))
    hit = members.merge(leaders, on="leader")
    overlap_days = ((np.minimum(hit["placement_end"].fillna(last), hit["l_end"].fillna(last))
                     - np.maximum(hit["placement_start"], hit["l_start"])).dt.days)
    hit = hit.assign(_days=overlap_days.to_numpy())
    hit = hit[hit["_days"] >= 0].sort_values("_days", ascending=False, kind="stable")
    hit = hit.drop_duplicates("index")
    # Placed with the sibling or not is decided once per child, for all her placements.
    together = pd.Series(rng.random(len(child)) < mi["placed_with_sibling"], index=child)
    join = together.reindex(pl["child_id"].to_numpy()[hit["index"].to_numpy()]).fillna(
        False).to_numpy(dtype=bool)
    pl.loc[hit.loc[join, "index"].to_numpy(), "home"] = hit.loc[join, "l_home"].to_numpy()
    homes = pd.DataFrame({"episode_id": pl["episode_id"].to_numpy(),
                          "placement_start": pl["placement_start"].to_numpy(),
                          "placement_home_id": pl["home"].to_numpy()})
    homes = homes.drop_duplicates(["episode_id", "placement_start"])
    return siblings, homes


def population(params: SynthParams, scale: float) -> pd.DataFrame:
    """Children by year, county, age group (0-17) and ethnic group: synthetic."""
    dates = params["dates"]
    years = range(int(str(dates["history_start"])[:4]), int(str(dates["cutoff"])[:4]) + 1)
    counties = codes.tables().counties
    ages = codes.tables().age_groups
    low, high = pd.to_numeric(ages["min_age"]), pd.to_numeric(ages["max_age"])
    child = (high < 18).to_numpy()
    ages = ages[child]
    age_share = (high[child] - low[child] + 1).to_numpy(dtype=float) / 18
    mix = Choice.of(params["population_ethnic_mix"])
    weight = pd.to_numeric(counties["child_population_weight"]).to_numpy(dtype=float) * 1000 * scale
    cells = (weight[:, None, None] * age_share[None, :, None] * mix.p[None, None, :])
    counts = np.rint(cells).astype(np.int64)
    c, a, e = np.meshgrid(np.arange(len(counties)), np.arange(len(ages)),
                          np.arange(len(mix.values)), indexing="ij")
    one = pd.DataFrame({"county_cd": counties["county_cd"].to_numpy()[c.ravel()],
                        "age_group": ages["age_group"].to_numpy()[a.ravel()],
                        "ethnic_group": mix.values[e.ravel()],
                        "population": counts.ravel()})
    out = pd.concat([one.assign(year=y) for y in years], ignore_index=True)
    out["source"] = POPULATION_SOURCE
    return out[["year", "county_cd", "age_group", "ethnic_group", "population", "source"]]
