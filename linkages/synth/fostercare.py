"""Placement episodes and placements (the Foster Care File, contracts.md §3).

Foster children are simulated first as a stream of removals (entries spread evenly from two
years before the history start to the cutoff), each with an age at entry, an exit type and a
length of stay, and re-entries after reunification or guardianship. Only then are they given a
CWS child: a child whose care touches the match window needs a case on the window referral, so
those go to CWS children with a case; the others to CWS children without one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from linkages.synth.params import Choice, SynthParams
from linkages.synth.util import DAY, add_years, pick

YEAR_DAYS = 365.25


def _age_cdf(params: SynthParams) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative distribution of age at entry in days (uniform within each year of age)."""
    dist = params["foster_care"]["entry_age"]
    weights = np.array([dist[k] for k in sorted(dist)], dtype=float)
    weights /= weights.sum()
    edges = np.arange(len(weights) + 1) * YEAR_DAYS
    return edges, np.concatenate([[0.0], np.cumsum(weights)])


def simulate_episodes(rng: np.random.Generator, params: SynthParams, scale: float) -> pd.DataFrame:
    """Episodes of abstract foster children (``fc_child`` 0..K-1) with their birth dates."""
    fc = params["foster_care"]
    dates = params["dates"]
    hist = np.datetime64(str(dates["history_start"]))
    cutoff = np.datetime64(str(dates["cutoff"]))
    win_start, win_end = (
        np.datetime64(str(dates["window_start"])),
        np.datetime64(str(dates["window_end"])),
    )
    sim_start = add_years(np.array([hist]), -2)[0]
    years = ((cutoff - sim_start) / DAY) / YEAR_DAYS
    # First entries per year: the entries target less the re-entries each first entry brings.
    p_ru = fc["exit_type"]["reunified"] + fc["exit_type"]["guardianship"]
    reentry_per_entry = p_ru * (fc["reentry_12m"] + fc["reentry_later"])
    n_first = round(float(fc["entries_per_year"] * scale * years / (1 + reentry_per_entry * 1.1)))
    start = sim_start + (rng.random(n_first) * ((cutoff - sim_start) / DAY)).astype(
        np.int64
    ).astype("timedelta64[D]")

    # Age at entry, truncated so the child is under 18 on some day of the match window and born
    # by its end (every foster child is a CWS-referred child of the window).
    edges, cdf = _age_cdf(params)
    lo_age = np.maximum(0, (start - (win_end - DAY)) / DAY)
    hi_age = np.minimum(edges[-1] - 1, (start - add_years(np.array([win_start]), -18)[0]) / DAY - 1)
    ok = hi_age >= lo_age
    start, lo_age, hi_age = start[ok], lo_age[ok], hi_age[ok]
    u = np.interp(lo_age, edges, cdf) + rng.random(len(start)) * (
        np.interp(hi_age, edges, cdf) - np.interp(lo_age, edges, cdf)
    )
    age = np.clip(np.floor(np.interp(u, cdf, edges)), lo_age, hi_age).astype(np.int64)
    dob = start - age.astype("timedelta64[D]")
    k = len(start)
    child = np.arange(k)
    eighteen = add_years(dob, 18)

    rows = []
    cur_start = start
    alive = np.ones(k, dtype=bool)
    seq = 1
    exit_choice = Choice.of(fc["exit_type"])
    while alive.any() and seq <= 6:
        idx = np.flatnonzero(alive)
        s = cur_start[idx]
        age_y = ((s - dob[idx]) / DAY) / YEAR_DAYS
        etype = exit_choice.draw(rng, len(idx))
        # Older children are rarely adopted; they stay long or leave at 18 instead.
        older = (age_y >= 10) & (etype == "adoption") & (rng.random(len(idx)) < 0.8)
        etype[older] = "long_stay"
        med = pd.Series(etype).map(fc["los_median_days"]).to_numpy(dtype=float)
        sig = pd.Series(etype).map(fc["los_sigma"]).to_numpy(dtype=float)
        los = np.exp(np.log(med) + sig * rng.standard_normal(len(idx)))
        short = rng.random(len(idx)) < fc["short_stay"]
        etype[short] = "reunified"
        los[short] = rng.integers(1, 8, int(short.sum()))
        los = np.maximum(np.round(los), 1).astype(np.int64)
        end = s + los.astype("timedelta64[D]")
        # Reaching 18 in care: leave on the birthday, or stay on in extended care (AB 12).
        e18 = eighteen[idx]
        past18 = end >= e18
        stay = rng.random(len(idx)) < fc["extended_care_after_18"]
        e21 = add_years(dob[idx], 21) - DAY
        end = np.where(past18 & ~stay, e18, end)
        end = np.where(past18 & stay, np.minimum(end, e21), end)
        etype = np.where(past18, "emancipation", etype).astype(object)
        etype[etype == "long_stay"] = "other"
        open_ = end >= cutoff
        rows.append(
            pd.DataFrame(
                {
                    "fc_child": child[idx],
                    "seq": seq,
                    "episode_start": s,
                    "episode_end": np.where(open_, np.datetime64("NaT"), end).astype(
                        "datetime64[D]"
                    ),
                    "exit_type": np.where(open_, "", etype).astype(object),
                }
            )
        )
        # Re-entry after reunification or guardianship before 18.
        permanent = ~open_ & np.isin(etype, ["reunified", "guardianship"]) & (end < e18)
        r = rng.random(len(idx))
        soon = permanent & (r < fc["reentry_12m"])
        later = permanent & ~soon & (r < fc["reentry_12m"] + fc["reentry_later"])
        gap = np.where(
            soon,
            1 + (364 * rng.random(len(idx)) ** 1.4).astype(np.int64),
            rng.integers(366, 1461, len(idx)),
        )
        nxt = end + gap.astype("timedelta64[D]")
        again = (soon | later) & (nxt < cutoff) & (nxt < e18)
        alive = np.zeros(k, dtype=bool)
        alive[idx[again]] = True
        cur_start = cur_start.copy()
        cur_start[idx[again]] = nxt[again]
        seq += 1

    ep = pd.concat(rows, ignore_index=True)
    ep["dob"] = dob[ep["fc_child"].to_numpy()]
    # History starts at history_start: drop episodes over before it (their children stay in
    # the file only through later episodes).
    ended = ep["episode_end"].to_numpy()
    keep = np.isnat(ended) | (ended >= hist)
    ep = ep.loc[keep].reset_index(drop=True)
    end_or_cut = np.where(
        np.isnat(ep["episode_end"].to_numpy()), cutoff, ep["episode_end"].to_numpy()
    )
    ep["overlaps_window"] = (ep["episode_start"].to_numpy() <= win_end) & (end_or_cut >= win_start)
    return ep.sort_values(["fc_child", "seq"], kind="stable").reset_index(drop=True)


def _settings_table(params: SynthParams) -> pd.DataFrame:
    rows = []
    for setting, options in params["placement_settings"].items():
        for o in options:
            rows.append(
                {
                    "setting": setting,
                    "facility_type_cd": str(o["facility"]),
                    "caregiver_relationship_cd": str(o.get("caregiver", "")),
                    "weight": float(o["weight"]),
                    "from": np.datetime64(str(o.get("from", "1900-01-01"))),
                    "until": np.datetime64(str(o.get("until", "2100-01-01"))),
                }
            )
    return pd.DataFrame(rows)


def placements(rng: np.random.Generator, params: SynthParams, ep: pd.DataFrame) -> pd.DataFrame:
    """Placement rows of every episode: the first placement, moves, runaways, and a trial home
    visit before some reunifications. ``ep`` needs episode_start, episode_end (NaT = open),
    exit_type, dob."""
    fc = params["foster_care"]
    cutoff = np.datetime64(str(params["dates"]["cutoff"]))
    n = len(ep)
    s = ep["episode_start"].to_numpy()
    e_obs = np.where(np.isnat(ep["episode_end"].to_numpy()), cutoff, ep["episode_end"].to_numpy())
    los = ((e_obs - s) / DAY).astype(np.int64)
    first_year = np.minimum(los, 365)
    later_days = np.maximum(los - 365, 0)
    n1 = rng.poisson(fc["move_rate_first_year_per_1000_days"] / 1000 * first_year)
    n2 = rng.poisson(fc["move_rate_later_per_1000_days"] / 1000 * later_days)
    age_entry = ((s - ep["dob"].to_numpy()) / DAY) / YEAR_DAYS
    teen = age_entry >= 12
    n_run = np.where(teen, rng.poisson(fc["runaway_per_1000_days_teen"] / 1000 * los), 0)
    thv = (
        (ep["exit_type"].to_numpy() == "reunified")
        & (los > 60)
        & (rng.random(n) < fc["trial_home_visit"])
    )
    thv_days = np.where(thv, np.minimum(rng.integers(30, 181, n), los // 3), 0)

    # Events: (episode, day offset, kind) with kind 0 move, 1 runaway start, 2 THV start.
    ev_ep = np.concatenate(
        [
            np.repeat(np.arange(n), n1),
            np.repeat(np.arange(n), n2),
            np.repeat(np.arange(n), n_run),
            np.flatnonzero(thv),
        ]
    )
    lo = np.concatenate(
        [
            np.ones(n1.sum(), np.int64),
            np.repeat(np.full(n, 365), n2),
            np.ones(n_run.sum(), np.int64),
            np.zeros(thv.sum(), np.int64),
        ]
    )
    hi = np.concatenate(
        [
            np.repeat(first_year, n1),
            np.repeat(los, n2),
            np.repeat(los, n_run),
            np.zeros(thv.sum(), np.int64),
        ]
    )
    off = lo + (rng.random(len(lo)) * np.maximum(hi - lo, 0)).astype(np.int64)
    n_mv = n1.sum() + n2.sum()
    off[n_mv + n_run.sum() :] = (los - thv_days)[thv]
    kind = np.concatenate(
        [np.zeros(n_mv, np.int8), np.ones(n_run.sum(), np.int8), np.full(thv.sum(), 2, np.int8)]
    )
    # Events must leave the THV as the last segment and fall strictly inside the episode.
    limit = (los - thv_days)[ev_ep]
    ok = (off > 0) & ((off < limit) | (kind == 2)) & (off < los[ev_ep])
    ev_ep, off, kind = ev_ep[ok], off[ok], kind[ok]
    order = np.lexsort((kind, off, ev_ep))
    ev_ep, off, kind = ev_ep[order], off[order], kind[order]
    dupe = np.r_[False, (ev_ep[1:] == ev_ep[:-1]) & (off[1:] == off[:-1])]
    ev_ep, off, kind = ev_ep[~dupe], off[~dupe], kind[~dupe]
    # A runaway lasts 1-45 days, then the child is placed again (a return, reason 1433).
    run = kind == 1
    run_len = rng.integers(1, 46, int(run.sum()))
    ret_off = off[run] + run_len
    ret_ok = ret_off < np.where(thv[ev_ep[run]], (los - thv_days)[ev_ep[run]], los[ev_ep[run]])
    ev_ep = np.concatenate([ev_ep, ev_ep[run][ret_ok]])
    off = np.concatenate([off, ret_off[ret_ok]])
    kind = np.concatenate([kind, np.full(int(ret_ok.sum()), 3, np.int8)])
    order = np.lexsort((kind, off, ev_ep))
    ev_ep, off, kind = ev_ep[order], off[order], kind[order]
    # Within a runaway, a scheduled move cannot happen; drop events until the return.
    in_run = np.zeros(len(kind), dtype=bool)
    running = np.cumsum(np.where(kind == 1, 1, np.where(kind == 3, -1, 0)))
    base = np.r_[0, running[:-1]]
    ep_start_pos = np.r_[0, np.flatnonzero(ev_ep[1:] != ev_ep[:-1]) + 1]
    base_at_ep = np.repeat(base[ep_start_pos], np.diff(np.r_[ep_start_pos, len(kind)]))
    depth_before = base - base_at_ep
    in_run = (depth_before > 0) & (kind == 0)
    ev_ep, off, kind = ev_ep[~in_run], off[~in_run], kind[~in_run]

    # Segments: the first placement of each episode plus one per event.
    seg_ep = np.concatenate([np.arange(n), ev_ep])
    seg_off = np.concatenate([np.zeros(n, np.int64), off])
    seg_kind = np.concatenate([np.full(n, -1, np.int8), kind])
    order = np.lexsort((seg_kind, seg_off, seg_ep))
    seg_ep, seg_off, seg_kind = seg_ep[order], seg_off[order], seg_kind[order]
    nxt_same = np.r_[seg_ep[1:] == seg_ep[:-1], False]
    seg_end_off = np.where(nxt_same, np.r_[seg_off[1:], 0], -1)
    p_start = s[seg_ep] + seg_off.astype("timedelta64[D]")
    ep_end = ep["episode_end"].to_numpy()[seg_ep]
    p_end = np.where(
        seg_end_off >= 0, s[seg_ep] + np.maximum(seg_end_off, 0).astype("timedelta64[D]"), ep_end
    )

    # Setting of each placement, then its facility and caregiver codes by date.
    m = len(seg_ep)
    age_at = ((p_start - ep["dob"].to_numpy()[seg_ep]) / DAY) / YEAR_DAYS
    first = seg_kind == -1
    setting = np.empty(m, dtype=object)
    for is_first, key in ((True, "first_setting"), (False, "later_setting")):
        mix = fc[key]
        names = np.array(list(mix), dtype=object)
        w = np.array(list(mix.values()), dtype=float)
        for teen_flag in (False, True):
            sel = (first == is_first) & ((age_at >= 12) == teen_flag)
            ww = w.copy()
            if teen_flag:
                ww[names == "group"] *= fc["teen_group_factor"]
            setting[sel] = names[pick(rng, ww, int(sel.sum()))]
    setting[(age_at >= 18)] = "silp"
    # The home a child is adopted from is a pre-adoptive home.
    last_seg = ~nxt_same
    exit_t = ep["exit_type"].to_numpy()[seg_ep]
    before_thv = np.r_[seg_kind[1:] == 2, False] & nxt_same
    setting[
        (exit_t == "adoption") & (last_seg | before_thv) & (seg_kind != 1) & (seg_kind != 2)
    ] = "pre_adopt"
    table = _settings_table(params)
    fac = np.full(m, "", dtype=object)
    care = np.full(m, "", dtype=object)
    for name, opts in table.groupby("setting", sort=True):
        sel_idx = np.flatnonzero(setting == name)
        if len(sel_idx) == 0:
            continue
        when = p_start[sel_idx]
        # An option applies between its from/until dates; draw among those that apply.
        valid = (when[:, None] >= opts["from"].to_numpy()[None, :]) & (
            when[:, None] < opts["until"].to_numpy()[None, :]
        )
        w = valid * opts["weight"].to_numpy()[None, :]
        w = w / np.maximum(w.sum(axis=1, keepdims=True), 1e-12)
        c = (rng.random(len(sel_idx))[:, None] < np.cumsum(w, axis=1)).argmax(axis=1)
        fac[sel_idx] = opts["facility_type_cd"].to_numpy()[c]
        care[sel_idx] = opts["caregiver_relationship_cd"].to_numpy()[c]
    reason = np.full(m, "", dtype=object)
    moves = seg_kind == 0
    reason[moves] = Choice.of(fc["move_reasons"]).draw(rng, int(moves.sum()))
    reason[moves & (setting == "relative")] = "1434"
    reason[seg_kind == 1] = "1431"
    reason[seg_kind == 2] = "1440"
    reason[seg_kind == 3] = "1433"
    run_fac = Choice.of(fc["runaway_facility"]).draw(rng, int((seg_kind == 1).sum()))
    fac[seg_kind == 1] = run_fac
    care[seg_kind == 1] = ""
    fac[seg_kind == 2] = ""
    care[seg_kind == 2] = ""
    return pd.DataFrame(
        {
            "episode_row": seg_ep,
            "placement_start": p_start.astype("datetime64[D]"),
            "placement_end": p_end.astype("datetime64[D]"),
            "facility_type_cd": fac,
            "caregiver_relationship_cd": care,
            "placement_change_reason_cd": reason,
        }
    )
