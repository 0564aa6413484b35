"""CWS referrals and allegations, CWS case service components, CalWORKs cases, their aid
periods and WtW sanctions."""

from __future__ import annotations

import numpy as np
import pandas as pd

from linkages.synth.params import Choice, SynthParams
from linkages.synth.util import DAY, add_years, ids, numeric_ids, uniform_dates

NAT = np.datetime64("NaT")


def _clip_open(end: np.ndarray, cutoff: np.datetime64) -> np.ndarray:
    """An end on or after the cutoff has not happened yet: blank (NaT)."""
    return np.where(end >= cutoff, NAT, end).astype("datetime64[D]")


def allegations(
    rng: np.random.Generator, params: SynthParams, referrals: pd.DataFrame
) -> pd.DataFrame:
    """Allegations of each referral of each child.

    ``referrals``: child_id, county_cd, referral_received_dt, kind (``window``, ``removal``,
    ``extra``, ``recurrence``), referral_key (children sharing a key share a referral)."""
    rp = params["referrals"]
    cutoff = np.datetime64(str(params["dates"]["cutoff"]))
    dob = referrals["dob"].to_numpy()
    eighteen = add_years(dob, 18)
    # Recurrence: a substantiated referral is followed by another within 15..365 days.
    ref = referrals.copy()
    keys = pd.unique(ref["referral_key"].to_numpy())
    ref_ids = ids(rng, len(keys), "", 10)
    ref["referral_id"] = (
        pd.Series(ref_ids, index=keys).loc[ref["referral_key"].to_numpy()].to_numpy()
    )
    n_all = rng.choice(
        np.array([int(k) for k in rp["allegations_per_referral"]]),
        size=len(ref),
        p=Choice.of(rp["allegations_per_referral"]).p,
    )
    removal = ref["kind"].isin(["removal", "recurrence"]).to_numpy()
    p_sub = np.where(removal, rp["substantiated_removal"], rp["substantiated"])
    any_sub = rng.random(len(ref)) < 1 - (1 - p_sub) ** n_all
    rec = any_sub & (rng.random(len(ref)) < rp["recurrence_12m"])
    rec_date = ref["referral_received_dt"].to_numpy()[rec] + rng.integers(
        15, 366, int(rec.sum())
    ).astype("timedelta64[D]")
    keep = (rec_date < cutoff) & (rec_date < eighteen[rec])
    extra = ref.loc[rec].loc[keep].copy()
    extra["referral_received_dt"] = rec_date[keep]
    extra["kind"] = "recurrence"
    extra["referral_id"] = ids(rng, len(extra), "R", 9)
    ref = pd.concat([ref, extra], ignore_index=True)
    n_all = np.concatenate([n_all, np.ones(len(extra), dtype=np.int64)])
    any_sub = np.concatenate([any_sub, np.ones(len(extra), dtype=bool)])

    rows = np.repeat(np.arange(len(ref)), n_all)
    first_of_ref = np.r_[True, rows[1:] != rows[:-1]]
    a = ref.iloc[rows].reset_index(drop=True)
    a["allegation_type"] = Choice.of(rp["allegation_types"]).draw(rng, len(a))
    a = a.loc[~a.duplicated(["referral_id", "child_id", "allegation_type"]).to_numpy()]
    first_of_ref = first_of_ref[a.index.to_numpy()]
    rows = rows[a.index.to_numpy()]
    a = a.reset_index(drop=True)
    m = len(a)
    kind_rm = a["kind"].isin(["removal", "recurrence"]).to_numpy()
    p_a = np.where(kind_rm, rp["substantiated_removal"], rp["substantiated"])
    sub = rng.random(m) < p_a
    # A referral drawn as substantiated has at least its first allegation substantiated.
    sub |= first_of_ref & any_sub[rows]
    sub &= any_sub[rows]
    disp = np.where(sub, "substantiated", Choice.of(rp["disposition_other"]).draw(rng, m)).astype(
        object
    )
    received = a["referral_received_dt"].to_numpy()
    disp_dt = received + rng.integers(5, 61, m).astype("timedelta64[D]")
    pending = disp_dt >= cutoff
    disp[pending] = ""
    disp_dt = np.where(disp == "", NAT, disp_dt).astype("datetime64[D]")
    incident = received - rng.integers(0, 15, m).astype("timedelta64[D]")
    incident = np.where((rng.random(m) < 0.7) & (incident >= a["dob"].to_numpy()), incident, NAT)
    return pd.DataFrame(
        {
            "allegation_id": ids(rng, m, "A", 9),
            "referral_id": a["referral_id"].to_numpy(),
            "child_id": a["child_id"].to_numpy(),
            "referral_received_dt": received,
            "county_cd": a["county_cd"].to_numpy(),
            "allegation_type": a["allegation_type"].to_numpy(),
            "disposition": disp,
            "disposition_dt": disp_dt,
            "incident_dt": incident.astype("datetime64[D]"),
            "perpetrator_role": Choice.of(rp["perpetrator_role"]).draw(rng, m),
            "reporter_type": Choice.of(rp["reporter_type"]).draw(rng, m),
        }
    )


def extra_referrals(
    rng: np.random.Generator,
    params: SynthParams,
    child_id: np.ndarray,
    dob: np.ndarray,
    county: np.ndarray,
) -> pd.DataFrame:
    """Other referrals of CWS children, 2014..cutoff, while the child is under 18."""
    rp = params["referrals"]
    dates = params["dates"]
    hist = np.datetime64(str(dates["history_start"]))
    cutoff = np.datetime64(str(dates["cutoff"]))
    k = rng.poisson(rp["extra_per_child"], len(child_id))
    idx = np.repeat(np.arange(len(child_id)), k)
    lo = np.maximum(hist, dob[idx])
    hi = np.minimum(cutoff - DAY, add_years(dob[idx], 18) - DAY)
    d = uniform_dates(rng, lo, hi, len(idx))
    ok = d <= hi
    return pd.DataFrame(
        {
            "child_id": child_id[idx][ok],
            "dob": dob[idx][ok],
            "county_cd": county[idx][ok],
            "referral_received_dt": d[ok],
            "kind": "extra",
        }
    )


def episode_components(
    rng: np.random.Generator, params: SynthParams, ep: pd.DataFrame
) -> pd.DataFrame:
    """Case service components of the case each placement episode belongs to: ER at the
    removal, FR while reunification is the plan, PP once it is not (after 10-18 months, or
    from the start for a long stay), FM for some months after a reunification."""
    cp = params["cases"]
    cutoff = np.datetime64(str(params["dates"]["cutoff"]))
    n = len(ep)
    s = ep["episode_start"].to_numpy()
    end = ep["episode_end"].to_numpy()
    exit_t = ep["exit_type"].to_numpy()
    er_start = s - rng.integers(0, 8, n).astype("timedelta64[D]")
    er_end = s + rng.integers(*cp["er_days"], n).astype("timedelta64[D]")
    er_end = np.where(~np.isnat(end) & (end < er_end), end, er_end)
    to_pp = s + rng.integers(*cp["fr_to_pp_days"], n).astype("timedelta64[D]")
    reunify = exit_t == "reunified"
    end_or_cut = np.where(np.isnat(end), cutoff, end)
    has_pp = ~reunify & (to_pp < end_or_cut)
    has_pp |= reunify & (to_pp < end_or_cut) & (rng.random(n) < 0.3)
    fr_end = np.where(has_pp, to_pp, end)
    fr_has = (np.isnat(fr_end) | (fr_end > er_end)) & (np.isnat(end) | (end > er_end))
    fm = reunify & ~np.isnat(end)
    fm_end = end + rng.integers(90, 271, n).astype("timedelta64[D]")
    parts = [
        (np.ones(n, bool), "ER", er_start, er_end),
        (fr_has, "FR", er_end, fr_end),
        (has_pp, "PP", to_pp, end),
        (fm, "FM", end, fm_end),
    ]
    frames = []
    for mask, comp, st, en in parts:
        frames.append(
            pd.DataFrame(
                {
                    "row": np.flatnonzero(mask),
                    "service_component": comp,
                    "component_start": st[mask].astype("datetime64[D]"),
                    "component_end": en[mask].astype("datetime64[D]"),
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    out = out.loc[out["component_start"].to_numpy() < cutoff]
    out["component_end"] = _clip_open(out["component_end"].to_numpy(), cutoff)
    return out


def in_home_components(
    rng: np.random.Generator, params: SynthParams, referral_dt: np.ndarray
) -> pd.DataFrame:
    """ER then Family Maintenance for a case with no removal."""
    cp = params["cases"]
    cutoff = np.datetime64(str(params["dates"]["cutoff"]))
    n = len(referral_dt)
    er_end = referral_dt + rng.integers(*cp["er_days"], n).astype("timedelta64[D]")
    fm_end = er_end + rng.integers(*cp["in_home_fm_days"], n).astype("timedelta64[D]")
    out = pd.concat(
        [
            pd.DataFrame(
                {
                    "row": np.arange(n),
                    "service_component": "ER",
                    "component_start": referral_dt,
                    "component_end": er_end,
                }
            ),
            pd.DataFrame(
                {
                    "row": np.arange(n),
                    "service_component": "FM",
                    "component_start": er_end,
                    "component_end": fm_end,
                }
            ),
        ],
        ignore_index=True,
    )
    out["component_end"] = _clip_open(out["component_end"].to_numpy(), cutoff)
    return out


def calworks_cases(
    rng: np.random.Generator, params: SynthParams, cases: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cases (one row each) and their aid periods, one period always covering the window
    reference date of the family."""
    cw = params["calworks"]
    dates = params["dates"]
    cutoff = np.datetime64(str(dates["cutoff"]))
    n = len(cases)
    ref = cases["ref_date"].to_numpy()
    k = rng.choice(
        np.array([int(x) for x in cw["aid_periods"]]), size=n, p=Choice.of(cw["aid_periods"]).p
    )
    which = (rng.random(n) * k).astype(np.int64)  # the period that covers the reference date
    # The covering period, then earlier periods before it and later ones after it.
    cov_start = ref - rng.integers(0, 900, n).astype("timedelta64[D]")
    cov_end = ref + rng.integers(30, 900, n).astype("timedelta64[D]")
    starts = np.full((n, int(k.max()) if n else 0), NAT, dtype="datetime64[D]")
    ends = starts.copy()
    for j in range(starts.shape[1]):
        starts[:, j] = np.where(j == which, cov_start, NAT)
        ends[:, j] = np.where(j == which, cov_end, NAT)
    for j in range(starts.shape[1]):
        # earlier periods, walking back from the covering one
        back = which - 1 - j
        m = back >= 0
        nxt_start = starts[np.arange(n), np.minimum(back + 1, starts.shape[1] - 1)]
        e = nxt_start - rng.integers(60, 700, n).astype("timedelta64[D]")
        st = e - rng.integers(90, 1100, n).astype("timedelta64[D]")
        starts[m, np.maximum(back, 0)[m]] = st[m]
        ends[m, np.maximum(back, 0)[m]] = e[m]
        fwd = which + 1 + j
        m = fwd < k
        prev_end = ends[np.arange(n), np.minimum(np.maximum(fwd - 1, 0), starts.shape[1] - 1)]
        st = prev_end + rng.integers(60, 700, n).astype("timedelta64[D]")
        e = st + rng.integers(90, 1100, n).astype("timedelta64[D]")
        fi = np.minimum(fwd, starts.shape[1] - 1)
        starts[m, fi[m]] = st[m]
        ends[m, fi[m]] = e[m]
    rows_case = np.repeat(np.arange(n), k)
    col = np.arange(len(rows_case)) - np.repeat(np.cumsum(k) - k, k)
    st = starts[rows_case, col]
    en = ends[rows_case, col]
    last = col == k[rows_case] - 1
    active = rng.random(n) < cw["aid_active_at_cutoff"]
    en = np.where(last & active[rows_case], NAT, en)
    keep = st < cutoff
    en = np.where(en >= cutoff, NAT, en)
    aid = pd.DataFrame(
        {
            "case_id": cases["case_id"].to_numpy()[rows_case][keep],
            "aid_start": st[keep].astype("datetime64[D]"),
            "aid_end": en[keep].astype("datetime64[D]"),
        }
    )
    still_open = aid["aid_end"].isna().groupby(aid["case_id"]).any()
    status = np.where(
        pd.Series(cases["case_id"].to_numpy()).map(still_open).fillna(False).to_numpy(bool),
        "active",
        "discontinued",
    )
    out = cases.drop(columns=["ref_date"]).copy()
    out["aid_status"] = status
    out["wtw_status"] = Choice.of(cw["wtw_status"]).draw(rng, n)
    return out, aid


def wtw_sanctions(
    rng: np.random.Generator, params: SynthParams, cases: pd.DataFrame, aid: pd.DataFrame
) -> pd.DataFrame:
    """The WtW sanctions of the cases (``calworks`` parameters ``past_sanctions`` and
    ``sanction_cure_days``), consistent with each case's ``wtw_status`` and aid: a case in
    sanction has one sanction in force, begun 30 to 730 days before its aid ended (or the
    cutoff, while aid goes on); earlier sanctions of any case begin after its first aid began,
    each cured before the next began and before the one in force (or the cutoff)."""
    cw = params["calworks"]
    cutoff = np.datetime64(str(params["dates"]["cutoff"]))
    n = len(cases)
    case_ids = cases["case_id"].to_numpy()
    by_case = aid.groupby("case_id")
    first = by_case["aid_start"].min().reindex(case_ids).to_numpy("datetime64[D]")
    open_aid = aid["aid_end"].isna().groupby(aid["case_id"]).any().reindex(case_ids)
    last_end = by_case["aid_end"].max().reindex(case_ids).to_numpy("datetime64[D]")
    span_end = np.where(open_aid.fillna(True).to_numpy(bool) | np.isnat(last_end), cutoff,
                        np.minimum(last_end, cutoff)).astype("datetime64[D]")
    status = cases["wtw_status"].fillna("").astype(str).to_numpy()
    in_force = (status == "sanction") & ~np.isnat(first)
    lo = np.maximum(first, span_end - np.timedelta64(730, "D"))
    hi = span_end - np.timedelta64(30, "D")
    open_start = uniform_dates(rng, np.minimum(lo, hi), np.maximum(lo, hi), n)
    open_start = np.maximum(open_start, first)
    # Earlier sanctions end before this limit: the one in force, else the end of the span.
    limit = np.where(in_force, open_start, span_end).astype("datetime64[D]")
    rates = {str(k): float(v) for k, v in cw["past_sanctions"].items()}
    k = rng.poisson(pd.Series(status).map(rates).fillna(0.0).to_numpy(float), n)
    k[np.isnat(first)] = 0  # no aid, no sanction
    rows = np.repeat(np.arange(n), k)
    start = uniform_dates(rng, first[rows], limit[rows] - DAY, len(rows))
    spans = Choice.of(cw["sanction_cure_days"])
    bands = spans.draw(rng, len(rows))
    ranges = {b: [int(x) for x in str(b).split("-")] for b in spans.values}
    low_high = np.array([ranges[b] for b in spans.values], dtype=np.int64)[
        pd.Index(spans.values).get_indexer(bands)].reshape(-1, 2)
    days = rng.integers(low_high[:, 0], low_high[:, 1] + 1)
    end = start + days.astype("timedelta64[D]")
    past = pd.DataFrame({"row": rows, "start": start, "end": end})
    past = past.loc[past["end"].to_numpy() < limit[rows]].sort_values(["row", "start"])
    # One sanction at a time: drop one that begins before the case's previous one was cured.
    while True:
        prev_end = past.groupby("row")["end"].shift()
        overlap = (past["start"] <= prev_end).to_numpy()
        if not overlap.any():
            break
        past = past.loc[~overlap]
    out = pd.concat([
        pd.DataFrame({"case_id": case_ids[past["row"].to_numpy()],
                      "sanction_start": past["start"].to_numpy("datetime64[D]"),
                      "sanction_end": past["end"].to_numpy("datetime64[D]")}),
        pd.DataFrame({"case_id": case_ids[in_force],
                      "sanction_start": open_start[in_force],
                      "sanction_end": np.full(int(in_force.sum()), NAT, "datetime64[D]")}),
    ], ignore_index=True)
    return out.loc[~out.duplicated(["case_id", "sanction_start"])].reset_index(drop=True)


def calworks_case_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    return numeric_ids(rng, n, "C", 9)


def parents_in_au(rng: np.random.Generator, params: SynthParams, head: np.ndarray) -> np.ndarray:
    """Parents aided in each case's assistance unit: 0 for a relative caretaker's child-only
    case, else one or two parents (two more often when the father heads the case)."""
    mix = params["calworks"]["two_parent"]
    two = rng.random(len(head)) < np.where(head == "father", mix["father_head"],
                                          mix["mother_head"])
    out = np.where(two, 2, 1)
    child_only = (head == "relative") & (rng.random(len(head)) < mix["relative_child_only"])
    return np.where(child_only, 0, out)
