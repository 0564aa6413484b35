"""``generate``: the whole synthetic population, stage by stage, into an extract directory."""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from linkages.synth import fostercare, history, measure_inputs, population, records
from linkages.synth.output import truth_stats, write_csv, write_json
from linkages.synth.params import Choice, SynthParams, load
from linkages.synth.util import DAY, add_years, ids, numeric_ids

FILES = (
    "calworks_children.csv",
    "calworks_cases.csv",
    "calworks_aid_periods.csv",
    "calworks_wtw_sanctions.csv",
    "cws_children.csv",
    "cws_allegations.csv",
    "cws_case_components.csv",
    "foster_care.csv",
    "cws_referrals.csv",
    "cws_contacts.csv",
    "cws_visits.csv",
    "cws_siblings.csv",
    "cws_placement_homes.csv",
    "population.csv",
    "truth.csv",
    "truth_stats.json",
)
NAT = np.datetime64("NaT")


def _stage_printer(enabled: bool) -> Callable[[str], None]:
    t0 = time.perf_counter()

    def say(msg: str) -> None:
        if enabled:
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(
                f"[synth {time.perf_counter() - t0:6.1f}s {peak:6.0f} MB] {msg}",
                file=sys.stderr,
                flush=True,
            )

    return say


def _assign_foster_children(
    rng: np.random.Generator, p: pd.DataFrame, ep: pd.DataFrame
) -> pd.DataFrame:
    """Give each simulated foster child a CWS child: care touching the window → a child with a
    case on the window referral; otherwise a child without one. Children are matched by rank
    of birth date, and the CWS child takes the simulated birth date."""
    per_child = ep.groupby("fc_child", sort=True).agg(
        window=("overlaps_window", "any"), dob=("dob", "first")
    )
    assigned = pd.Series(-1, index=per_child.index, dtype=np.int64)
    pools = {
        True: np.flatnonzero(p["cws_case"].to_numpy()),
        False: np.flatnonzero(p["in_cws"].to_numpy() & ~p["cws_case"].to_numpy()),
    }
    for window, pool in pools.items():
        kids = per_child.index[per_child["window"].to_numpy() == window].to_numpy()
        # Leave room for in-home (Family Maintenance) cases: at most 90% of case children.
        room = int(len(pool) * (0.9 if window else 1.0))
        if len(kids) > room:
            kids = np.sort(rng.choice(kids, room, replace=False))
        chosen = rng.choice(pool, len(kids), replace=False)
        chosen = chosen[np.argsort(p["dob"].to_numpy()[chosen], kind="stable")]
        kids = kids[np.argsort(per_child.loc[kids, "dob"].to_numpy(), kind="stable")]
        assigned.loc[kids] = chosen
    ep = ep.assign(person=assigned.loc[ep["fc_child"].to_numpy()].to_numpy())
    ep = ep.loc[ep["person"].to_numpy() >= 0].reset_index(drop=True)
    first = ep.drop_duplicates("person")
    p.loc[first["person"].to_numpy(), "dob"] = first["dob"].to_numpy()
    p["foster"] = False
    p.loc[first["person"].to_numpy(), "foster"] = True
    return ep


def generate(
    out: str | Path,
    scale: float,
    seed: int,
    progress: bool = True,
    params: SynthParams | None = None,
) -> dict[str, int]:
    """Write the extract files into ``out``; return the row count of each file."""
    params = params or load()
    say = _stage_printer(progress)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(16)]
    dates = params["dates"]
    cutoff = np.datetime64(str(dates["cutoff"]))
    win_start, win_end = (
        np.datetime64(str(dates["window_start"])),
        np.datetime64(str(dates["window_end"])),
    )

    counts = population.counts_for(params, scale)
    fam, p = population.build(streams[0], params, counts)
    say(f"population: {len(p):,} children in {len(fam):,} families")

    # --- foster care, then each CWS child's window referral ---------------------------------
    rng = streams[1]
    ep = fostercare.simulate_episodes(rng, params, scale)
    ep = _assign_foster_children(rng, p, ep)
    in_cws = p["in_cws"].to_numpy()
    p["win_ref"] = np.where(in_cws, population.window_referral_dates(rng, p, params), NAT)
    # A removal inside the window came from the child's window referral, 0-7 days before.
    pdob = p["dob"].to_numpy()
    lag = rng.integers(0, 8, len(ep)).astype("timedelta64[D]")
    ep_dob = pdob[ep["person"].to_numpy()]
    ep["removal_referral"] = np.maximum(ep["episode_start"].to_numpy() - lag, ep_dob)
    inside = (ep["removal_referral"] >= win_start) & (ep["removal_referral"] <= win_end)
    first_inside = inside & ~ep.loc[inside].duplicated("person").reindex(ep.index, fill_value=True)
    ep["window_removal"] = first_inside.to_numpy()
    w = ep.loc[ep["window_removal"]]
    p.loc[w["person"].to_numpy(), "win_ref"] = w["removal_referral"].to_numpy()
    say(f"foster care: {ep['person'].nunique():,} children, {len(ep):,} episodes")

    # --- ids --------------------------------------------------------------------------------
    rng = streams[2]
    n = len(p)
    cw_rows = np.flatnonzero(p["in_calworks"].to_numpy())
    cws_rows = np.flatnonzero(in_cws)
    dup = params["duplicates"]
    cw_dup = np.sort(rng.choice(cw_rows, round(len(cw_rows) * dup["calworks"]), replace=False))
    cws_dup = np.sort(rng.choice(cws_rows, round(len(cws_rows) * dup["cws"]), replace=False))
    cw_ids = numeric_ids(rng, len(cw_rows) + len(cw_dup), "", 10)
    cws_ids = ids(rng, len(cws_rows) + len(cws_dup), "", 10)
    p["cws_record_id"] = ""
    p.loc[cws_rows, "cws_record_id"] = cws_ids[: len(cws_rows)]
    fam.index = fam["family_id"].to_numpy()  # families by id, without a copy
    families = fam
    cw_fams = fam.loc[fam["category"] != "cws_only", "family_id"].to_numpy()
    cw_case_of_family = pd.Series(
        history.calworks_case_ids(rng, len(cw_fams) + len(cw_dup)), dtype=object
    )
    fam_case = pd.Series(cw_case_of_family.to_numpy()[: len(cw_fams)], index=cw_fams)
    case_fams = pd.unique(p.loc[p["cws_case"], "family_id"])
    cws_case_of_family = pd.Series(ids(rng, len(case_fams), "", 10), index=case_fams)
    p["cws_case_id"] = ""
    p.loc[p["cws_case"], "cws_case_id"] = cws_case_of_family.loc[
        p.loc[p["cws_case"], "family_id"]
    ].to_numpy()

    # --- CalWORKs cases and aid periods ------------------------------------------------------
    rng = streams[3]
    fcw = families.loc[cw_fams]
    oldest = p.groupby("family_id")["dob"].min()
    head = fcw["case_head"].to_numpy()
    mother_last = np.where(
        fcw["mother_keeps_surname"].to_numpy(),
        np.where(
            (fcw["mother_second_surname"].to_numpy() != "") & (rng.random(len(fcw)) < 0.3),
            fcw["mother_surname"] + " " + fcw["mother_second_surname"],
            fcw["mother_surname"],
        ),
        fcw["father_surname"].to_numpy(),
    )
    families["mother_last"] = families["mother_surname"]
    families.loc[cw_fams, "mother_last"] = mother_last
    # CWS-only families: the mother's surname on their records.
    cws_only = fam.loc[fam["category"] == "cws_only", "family_id"].to_numpy()
    fco = families.loc[cws_only]
    families.loc[cws_only, "mother_last"] = np.where(
        fco["mother_keeps_surname"].to_numpy(), fco["mother_surname"], fco["father_surname"]
    )
    mother_age = rng.integers(18 * 365, 36 * 365, len(fcw)).astype("timedelta64[D]")
    mother_dob = oldest.loc[cw_fams].to_numpy() - mother_age
    head_first = np.select(
        [head == "mother", head == "father"],
        [fcw["mother_first_name"], fcw["father_first_name"]],
        fcw["grandmother_first_name"],
    )
    head_last = np.select(
        [head == "mother", head == "father"],
        [mother_last, fcw["father_surname"]],
        fcw["grandmother_surname"],
    )
    head_dob = np.where(
        head == "mother",
        mother_dob,
        np.where(
            head == "father",
            mother_dob - np.timedelta64(800, "D"),
            mother_dob - np.timedelta64(7900, "D"),
        ),
    )
    cases = pd.DataFrame(
        {
            "case_id": fam_case.loc[cw_fams].to_numpy(),
            "county_cd": fcw["county_cd"].to_numpy(),
            "case_head_first_name": head_first,
            "case_head_last_name": head_last,
            "case_head_dob": head_dob.astype("datetime64[D]"),
            "case_head_sex": np.where(head == "father", "M", "F"),
            "address": fcw["address"].to_numpy(),
            "zip": fcw["zip"].to_numpy(),
            "ref_date": fcw["ref_date"].to_numpy(),
        }
    )
    # Duplicate CalWORKs records: the child also sits on a relative caretaker's case.
    dfam = families.loc[p["family_id"].to_numpy()[cw_dup]]
    rel_cases = pd.DataFrame(
        {
            "case_id": cw_case_of_family.to_numpy()[len(cw_fams) :],
            "county_cd": dfam["county_cd"].to_numpy(),
            "case_head_first_name": dfam["grandmother_first_name"].to_numpy(),
            "case_head_last_name": dfam["grandmother_surname"].to_numpy(),
            "case_head_dob": (
                p["dob"].to_numpy()[cw_dup]
                - rng.integers(38 * 365, 60 * 365, len(cw_dup)).astype("timedelta64[D]")
            ).astype("datetime64[D]"),
            "case_head_sex": "F",
            "address": np.where(
                rng.random(len(cw_dup)) < 0.5,
                dfam["address"].to_numpy(),
                dfam["cws_address"].to_numpy(),
            ),
            "zip": dfam["zip"].to_numpy(),
            "ref_date": p["dob"].to_numpy()[cw_dup]
            + (
                (
                    np.minimum(win_end, add_years(p["dob"].to_numpy()[cw_dup], 18) - DAY)
                    - p["dob"].to_numpy()[cw_dup]
                )
                / 2
            ).astype("timedelta64[D]"),
        }
    )
    cw_cases, aid = history.calworks_cases(
        rng, params, pd.concat([cases, rel_cases], ignore_index=True)
    )
    # The assistance unit's parents (its WtW hours requirement), from a stream of its own so
    # that every other column stays as it was.
    cw_cases["parents_in_au"] = history.parents_in_au(
        streams[10], params, np.concatenate([head, np.full(len(rel_cases), "relative")]))
    # WtW sanctions, from a stream of their own: every other file stays as it was.
    sanctions = history.wtw_sanctions(streams[15], params, cw_cases, aid)
    say(f"CalWORKs: {len(cw_cases):,} cases, {len(aid):,} aid periods, "
        f"{len(sanctions):,} WtW sanctions")

    # --- person records ----------------------------------------------------------------------
    rng = streams[4]
    fam_of = p["family_id"].to_numpy()
    base_cols = [
        "person_id",
        "first_name",
        "middle_name",
        "surname_a",
        "surname_b",
        "sex",
        "ssn",
        "origin",
    ]

    def base(rows: np.ndarray, is_dup: bool, p: pd.DataFrame = p) -> pd.DataFrame:
        r = p.iloc[rows][base_cols].reset_index(drop=True)
        r["dob"] = p["dob"].to_numpy()[rows]
        r["true_dob"] = r["dob"]
        r["is_dup"] = is_dup
        r["row"] = rows
        return r

    # CalWORKs
    cw = pd.concat([base(cw_rows, False), base(cw_dup, True)], ignore_index=True)
    cw_family_cols = [
        "case_head",
        "county_cd",
        "zip",
        "address",
        "mother_first_name",
        "father_first_name",
        "grandmother_first_name",
        "mother_last",
        "father_surname",
        "grandmother_surname",
        "ref_date",
    ]
    f = families[cw_family_cols].loc[fam_of[cw["row"].to_numpy()]]
    hd = f["case_head"].to_numpy()
    cw["county_cd"] = f["county_cd"].to_numpy()
    cw["zip"] = f["zip"].to_numpy()
    cw["address"] = f["address"].to_numpy()
    cw["parent_first_name"] = np.select(
        [hd == "mother", hd == "father"],
        [f["mother_first_name"], f["father_first_name"]],
        f["grandmother_first_name"],
    )
    cw["parent_last_name"] = np.select(
        [hd == "mother", hd == "father"],
        [f["mother_last"], f["father_surname"]],
        f["grandmother_surname"],
    )
    cw["case_id"] = fam_case.reindex(fam_of[cw["row"].to_numpy()]).to_numpy()
    d = cw["is_dup"].to_numpy()
    cw.loc[d, "case_id"] = rel_cases["case_id"].to_numpy()
    cw.loc[d, "parent_first_name"] = rel_cases["case_head_first_name"].to_numpy()
    cw.loc[d, "parent_last_name"] = rel_cases["case_head_last_name"].to_numpy()
    cw.loc[d, "address"] = rel_cases["address"].to_numpy()
    cw["record_id"] = cw_ids
    cw["dob_limit"] = cutoff - DAY
    cw["ref_date"] = f["ref_date"].to_numpy()
    rates = params["corruption"]["calworks"]
    boost = np.where(d, 2.0, 1.0)
    records.corrupt_names(rng, params, cw, rates, boost)
    records.corrupt_dates_ids(rng, params, cw, rates, boost)
    say(f"CalWORKs children: {len(cw):,} records")

    # CWS
    rng = streams[5]
    cr = pd.concat([base(cws_rows, False), base(cws_dup, True)], ignore_index=True)
    rows = cr["row"].to_numpy()
    cws_family_cols = [
        "cws_county_cd",
        "cws_zip",
        "cws_address",
        "mother_first_name",
        "mother_last",
    ]
    f = families[cws_family_cols].loc[fam_of[rows]]
    cr["county_cd"] = f["cws_county_cd"].to_numpy()
    cr["zip"] = f["cws_zip"].to_numpy()
    cr["address"] = f["cws_address"].to_numpy()
    cr["parent_first_name"] = f["mother_first_name"].to_numpy()
    cr["parent_last_name"] = f["mother_last"].to_numpy()
    cr["case_id"] = p["cws_case_id"].to_numpy()[rows]
    d = cr["is_dup"].to_numpy()
    drop_case = d & (rng.random(len(cr)) >= dup["cws_dup_keeps_case_id"])
    cr.loc[drop_case, "case_id"] = ""
    cr["record_id"] = cws_ids
    ref = p["win_ref"].to_numpy()[rows]
    first_entry = ep.groupby("person")["episode_start"].min()
    entry = first_entry.reindex(rows).to_numpy()
    cr["dob_limit"] = np.where(np.isnat(entry), ref, np.minimum(ref, entry))
    cr["ref_date"] = ref
    rates = params["corruption"]["cws"]
    boost = np.where(d & (rng.random(len(cr)) < dup["cws_dup_name_variant"]), 3.0, 1.0)
    records.corrupt_names(rng, params, cr, rates, boost)
    records.corrupt_dates_ids(rng, params, cr, rates, np.ones(len(cr)))
    dob_gone = d & (rng.random(len(cr)) < dup["cws_dup_dob_missing"])
    cr.loc[dob_gone, "dob"] = NAT
    records.newborn_placeholders(rng, params, cr)
    cr["ethnicity_cd"], cr["hispanic"] = records.ethnicity(rng, params, cr["origin"].to_numpy())
    say(f"CWS children: {len(cr):,} records")

    # --- CWS history ---------------------------------------------------------------------------
    rng = streams[6]
    primary = pd.Series(cws_ids[: len(cws_rows)], index=cws_rows)
    cws_county = pd.Series(cr["county_cd"].to_numpy()[: len(cws_rows)], index=cws_rows)
    win_is_removal = np.zeros(n, dtype=bool)
    win_is_removal[ep.loc[ep["window_removal"], "person"].to_numpy()] = True
    wr = pd.DataFrame(
        {
            "child_id": primary.to_numpy(),
            "dob": pdob[cws_rows],
            "county_cd": cws_county.to_numpy(),
            "referral_received_dt": p["win_ref"].to_numpy()[cws_rows],
            "kind": np.where(win_is_removal[cws_rows], "removal", "window"),
        }
    )
    # Siblings referred together share the referral.
    # (integer keys: family × day for a shared referral, negative for a child's own)
    day = ((wr["referral_received_dt"].to_numpy() - win_start) / DAY).astype(np.int64)
    wr["referral_key"] = np.where(
        win_is_removal[cws_rows],
        -1 - np.arange(len(cws_rows), dtype=np.int64),
        fam_of[cws_rows].astype(np.int64) * 1000 + day,
    )
    other_ep = ep.loc[~ep["window_removal"]]
    rr = pd.DataFrame(
        {
            "child_id": primary.loc[other_ep["person"].to_numpy()].to_numpy(),
            "dob": pdob[other_ep["person"].to_numpy()],
            "county_cd": cws_county.loc[other_ep["person"].to_numpy()].to_numpy(),
            "referral_received_dt": other_ep["removal_referral"].to_numpy(),
            "kind": "removal",
        }
    )
    xr = history.extra_referrals(
        rng, params, primary.to_numpy(), pdob[cws_rows], cws_county.to_numpy()
    )
    more = pd.concat([rr, xr], ignore_index=True)
    more["referral_key"] = -1 - len(cws_rows) - np.arange(len(more), dtype=np.int64)
    refs = pd.concat([wr, more], ignore_index=True)
    refs = refs.loc[refs["referral_received_dt"].to_numpy() < cutoff]
    alleg = history.allegations(rng, params, refs)
    del refs, more, wr, rr, xr
    say(f"allegations: {len(alleg):,}")

    # Case components: the window case (in-home or the episode touching the window) under the
    # child's case_id; every other episode under a case of its own.
    rng = streams[7]
    ep["case_id"] = ids(rng, len(ep), "", 10)
    overl = ep["overlaps_window"].to_numpy() & p["cws_case"].to_numpy()[ep["person"].to_numpy()]
    first_over = overl & ~pd.Series(ep["person"]).where(overl).duplicated().to_numpy()
    ep.loc[first_over, "case_id"] = p["cws_case_id"].to_numpy()[
        ep.loc[first_over, "person"].to_numpy()
    ]
    comp_ep = history.episode_components(rng, params, ep)
    comp_ep["child_id"] = primary.loc[ep["person"].to_numpy()[comp_ep["row"].to_numpy()]].to_numpy()
    comp_ep["case_id"] = ep["case_id"].to_numpy()[comp_ep["row"].to_numpy()]
    comp_ep["county_cd"] = cws_county.loc[
        ep["person"].to_numpy()[comp_ep["row"].to_numpy()]
    ].to_numpy()
    has_window_episode = np.zeros(n, dtype=bool)
    has_window_episode[ep.loc[first_over, "person"].to_numpy()] = True
    in_home = np.flatnonzero(p["cws_case"].to_numpy() & ~has_window_episode)
    comp_ih = history.in_home_components(rng, params, p["win_ref"].to_numpy()[in_home])
    comp_ih["child_id"] = primary.loc[in_home[comp_ih["row"].to_numpy()]].to_numpy()
    comp_ih["case_id"] = p["cws_case_id"].to_numpy()[in_home[comp_ih["row"].to_numpy()]]
    comp_ih["county_cd"] = cws_county.loc[in_home[comp_ih["row"].to_numpy()]].to_numpy()
    comps = pd.concat([comp_ep, comp_ih], ignore_index=True)[
        [
            "case_id",
            "child_id",
            "county_cd",
            "service_component",
            "component_start",
            "component_end",
        ]
    ]
    say(f"case components: {len(comps):,}")

    # Foster care file: one row per placement.
    rng = streams[8]
    fc = params["foster_care"]
    ep["episode_id"] = ids(rng, len(ep), "", 10)
    age_entry = ((ep["episode_start"].to_numpy() - ep["dob"].to_numpy()) / DAY) / 365.25
    agency = Choice.of(fc["agency"]).draw(rng, len(ep))
    probation = np.isin(agency, ["33", "5603"])
    agency[probation & (age_entry < 10)] = "34"
    ep["agency_cd"] = agency
    term = np.full(len(ep), "", dtype=object)
    for etype, mix in fc["termination"].items():
        sel = ep["exit_type"].to_numpy() == etype
        term[sel] = Choice.of(mix).draw(rng, int(sel.sum()))
    ep["termination_reason_cd"] = term
    plc = fostercare.placements(rng, params, ep)
    e = ep.iloc[plc["episode_row"].to_numpy()].reset_index(drop=True)
    person = e["person"].to_numpy()
    rec_pos = pd.Series(np.arange(len(cws_rows)), index=cws_rows).loc[person].to_numpy()
    rec_dob = cr["dob"].to_numpy()[rec_pos]
    first_start = first_entry.loc[person].to_numpy()
    birth = np.where(np.isnat(rec_dob) | (rec_dob > first_start), pdob[person], rec_dob)
    foster = pd.DataFrame(
        {
            "child_id": primary.loc[person].to_numpy(),
            "birth_dt": birth.astype("datetime64[D]"),
            "sex": np.where(
                np.isin(cr["sex"].to_numpy()[rec_pos], ["F", "M", "I"]),
                cr["sex"].to_numpy()[rec_pos],
                "",
            ),
            "ethnicity_cd": cr["ethnicity_cd"].to_numpy()[rec_pos],
            "hispanic": cr["hispanic"].to_numpy()[rec_pos],
            "episode_id": e["episode_id"].to_numpy(),
            "episode_start": e["episode_start"].to_numpy(),
            "episode_end": e["episode_end"].to_numpy(),
            "termination_reason_cd": e["termination_reason_cd"].to_numpy(),
            "agency_cd": e["agency_cd"].to_numpy(),
            "county_cd": cws_county.loc[person].to_numpy(),
            "placement_start": plc["placement_start"].to_numpy(),
            "placement_end": plc["placement_end"].to_numpy(),
            "facility_type_cd": plc["facility_type_cd"].to_numpy(),
            "caregiver_relationship_cd": plc["caregiver_relationship_cd"].to_numpy(),
            "placement_change_reason_cd": plc["placement_change_reason_cd"].to_numpy(),
        }
    )
    say(f"foster care: {len(foster):,} placements")

    # --- inputs of the California measures (2B/2D, 2F, 4A, rates) ----------------------------
    # Streams beyond the first twelve: the files above are the same as before they existed.
    referrals, contacts = measure_inputs.referrals_and_contacts(streams[12], params, alleg,
                                                                cutoff)
    visits = measure_inputs.caseworker_visits(streams[13], params, foster, cutoff)
    siblings, homes = measure_inputs.siblings_and_homes(streams[14], params, foster)
    child_population = measure_inputs.population(params, scale)
    say(f"measure inputs: {len(referrals):,} referrals, {len(contacts):,} contacts, "
        f"{len(visits):,} visits, {len(siblings):,} sibling pairs")

    # --- write -------------------------------------------------------------------------------
    # Rows in a random order (family and category must not show through the file order);
    # integer keys only, since sorting millions of strings is slow.
    rng = streams[9]
    cw_out = cw.iloc[rng.permutation(len(cw))][[*records.PERSON_COLUMNS, "person_id"]]
    cr_out = cr.iloc[rng.permutation(len(cr))][
        [*records.PERSON_COLUMNS, "ethnicity_cd", "hispanic", "person_id"]
    ]
    cws_case_of_record = pd.Series(cr["case_id"].to_numpy(), index=cr["record_id"].to_numpy())
    del cw, cr, p, fam, families, base
    truth = pd.concat(
        [
            pd.DataFrame(
                {
                    "source": "calworks",
                    "record_id": cw_out["record_id"],
                    "person_id": cw_out["person_id"],
                }
            ),
            pd.DataFrame(
                {
                    "source": "cws",
                    "record_id": cr_out["record_id"],
                    "person_id": cr_out["person_id"],
                }
            ),
        ],
        ignore_index=True,
    )
    case_pos = pd.Series(rng.permutation(len(cw_cases)), index=cw_cases["case_id"].to_numpy())
    cw_cases = cw_cases.iloc[np.argsort(case_pos.to_numpy(), kind="stable")]
    aid = aid.iloc[
        np.lexsort(
            (aid["aid_start"].to_numpy(), case_pos.loc[aid["case_id"].to_numpy()].to_numpy())
        )
    ]
    sanctions = sanctions.iloc[
        np.lexsort((sanctions["sanction_start"].to_numpy(),
                    case_pos.loc[sanctions["case_id"].to_numpy()].to_numpy()))
    ]
    alleg = alleg.iloc[
        np.lexsort((rng.random(len(alleg)), alleg["referral_received_dt"].to_numpy()))
    ]
    comp_case = pd.factorize(comps["case_id"])[0]
    comp_child = pd.factorize(comps["child_id"])[0]
    comps = comps.iloc[np.lexsort((comps["component_start"].to_numpy(), comp_child, comp_case))]
    fc_child = pd.factorize(foster["child_id"])[0]
    foster = foster.iloc[
        np.lexsort(
            (foster["placement_start"].to_numpy(), foster["episode_start"].to_numpy(), fc_child)
        )
    ]
    written = {
        "calworks_children.csv": write_csv(
            cw_out[records.PERSON_COLUMNS], out / "calworks_children.csv"
        ),
        "calworks_cases.csv": write_csv(cw_cases, out / "calworks_cases.csv"),
        "calworks_aid_periods.csv": write_csv(aid, out / "calworks_aid_periods.csv"),
        "calworks_wtw_sanctions.csv": write_csv(sanctions,
                                                out / "calworks_wtw_sanctions.csv"),
        "cws_children.csv": write_csv(
            cr_out[[*records.PERSON_COLUMNS, "ethnicity_cd", "hispanic"]], out / "cws_children.csv"
        ),
        "cws_allegations.csv": write_csv(alleg, out / "cws_allegations.csv"),
        "cws_case_components.csv": write_csv(comps, out / "cws_case_components.csv"),
        "foster_care.csv": write_csv(foster, out / "foster_care.csv"),
        "cws_referrals.csv": write_csv(referrals, out / "cws_referrals.csv"),
        "cws_contacts.csv": write_csv(contacts, out / "cws_contacts.csv"),
        "cws_visits.csv": write_csv(visits, out / "cws_visits.csv"),
        "cws_siblings.csv": write_csv(siblings, out / "cws_siblings.csv"),
        "cws_placement_homes.csv": write_csv(homes, out / "cws_placement_homes.csv"),
        "population.csv": write_csv(child_population, out / "population.csv"),
        "truth.csv": write_csv(truth, out / "truth.csv"),
    }
    stats = truth_stats(truth, cws_case_of_record)
    write_json(stats, out / "truth_stats.json")
    say("written: " + ", ".join(f"{k} {v:,}" for k, v in written.items()))
    return {**written, **{f"stats.{k}": v for k, v in stats.items()}}
