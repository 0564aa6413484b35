"""The true population: families, their children, and who appears in which source.

Children are grouped in families (a mother, 1-5 children, an address and a county). A family is
CalWORKs-only, CWS-only or in both; the counts of children in each are the seed-004 figures
times the scale, exactly. CWS cases are opened family by family until the case counts are met.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from linkages.codes import tables
from linkages.synth.params import Choice, SynthParams
from linkages.synth.util import DAY, add_years, group_draw, pick, sizes_summing_to, unique_ints

CATEGORIES = ("calworks_only", "both", "cws_only")
GROUP_TO_ORIGIN = {
    "Latino": "latino",
    "Black": "black",
    "White": "white",
    "Native American": "native",
}
FIRST_NAME_FALLBACK = "white"  # name groups without first names of their own


@dataclass(frozen=True)
class Counts:
    calworks: int
    cws: int
    both: int
    case: int
    case_both: int

    @property
    def calworks_only(self) -> int:
        return self.calworks - self.both

    @property
    def cws_only(self) -> int:
        return self.cws - self.both


def counts_for(params: SynthParams, scale: float) -> Counts:
    c = params["calibration"]
    calworks = max(1, round(c["calworks_persons"] * scale))
    cws = max(1, round(c["cws_persons"] * scale))
    both = min(round(c["both_persons"] * scale), calworks, cws)
    case = min(round(c["cws_case_persons"] * scale), cws)
    case_both = min(round(c["cws_case_both"] * scale), both, case)
    case_both = max(case_both, case - (cws - both))
    return Counts(calworks, cws, both, case, case_both)


def _surnames(rng: np.random.Generator, params: SynthParams, origin: np.ndarray) -> np.ndarray:
    return group_draw(rng, origin, params.surnames, ["name_group"], "surname")


def _first_names(
    rng: np.random.Generator, params: SynthParams, origin: np.ndarray, sex: np.ndarray
) -> np.ndarray:
    share = params["english_first_name_share"]
    english = rng.random(len(origin)) < pd.Series(origin).map(share).fillna(0.0).to_numpy()
    have_own = set(params.first_names["name_group"])
    name_group = np.where(
        english | ~pd.Series(origin).isin(have_own).to_numpy(), FIRST_NAME_FALLBACK, origin
    )
    keys = np.char.add(np.char.add(name_group.astype(str), "|"), sex.astype(str)).astype(object)
    return group_draw(rng, keys, params.first_names, ["name_group", "sex"], "first_name")


def build(
    rng: np.random.Generator, params: SynthParams, counts: Counts
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Families and persons (true values, before any recording error)."""
    dates = params["dates"]
    win_start, win_end = (
        np.datetime64(str(dates["window_start"])),
        np.datetime64(str(dates["window_end"])),
    )

    # --- families ---------------------------------------------------------------------------
    per_cat = {
        "calworks_only": counts.calworks_only,
        "both": counts.both,
        "cws_only": counts.cws_only,
    }
    size_parts, cat_parts = [], []
    for cat in CATEGORIES:
        s = sizes_summing_to(rng, per_cat[cat], params["family_size"])
        size_parts.append(s)
        cat_parts.append(np.full(len(s), cat, dtype=object))
    fam = pd.DataFrame({"category": np.concatenate(cat_parts), "size": np.concatenate(size_parts)})
    nf = len(fam)
    fam["group"] = ""
    for cat in CATEGORIES:
        m = (fam["category"] == cat).to_numpy()
        fam.loc[m, "group"] = Choice.of(params["ethnic_mix"][cat]).draw(rng, int(m.sum()))
    origin = fam["group"].map(GROUP_TO_ORIGIN).to_numpy(dtype=object)
    asian = pd.isna(origin)
    origin[asian] = Choice.of(params["asian_origin"]).draw(rng, int(asian.sum()))
    fam["origin"] = origin

    # County: child population weight × the source's rate factor (both: the product).
    counties = tables().counties.assign(county_cd=lambda t: t.county_cd.astype(int))
    rates = counties.merge(params.county_rates, on="county_cd")
    pop = rates["child_population_weight"].astype(float).to_numpy()
    cw_f, cws_f = rates["calworks_factor"].to_numpy(), rates["cws_factor"].to_numpy()
    weights = {"calworks_only": pop * cw_f, "both": pop * cw_f * cws_f, "cws_only": pop * cws_f}
    county = np.zeros(nf, dtype=np.int64)
    for cat in CATEGORIES:
        m = (fam["category"] == cat).to_numpy()
        county[m] = rates["county_cd"].to_numpy()[pick(rng, weights[cat], int(m.sum()))]
    fam["county_cd"] = county
    # A share of both-source families live in another county when CWS sees them.
    mover = (fam["category"] == "both").to_numpy() & (rng.random(nf) < params["move_county"])
    other = rates["county_cd"].to_numpy()[pick(rng, pop * cws_f, nf)]
    clash = other == county
    other[clash] = rates["county_cd"].to_numpy()[
        (np.searchsorted(rates["county_cd"].to_numpy(), other[clash]) + 1) % len(rates)
    ]
    fam["cws_county_cd"] = np.where(mover, other, county)
    fam["moved_county"] = mover
    fam["moved_address"] = mover | (
        (fam["category"] == "both").to_numpy() & (rng.random(nf) < params["move_address"])
    )
    zip3 = rates.set_index("county_cd")["zip3"].str.split(";")
    streets = params.streets
    for prefix, cnty in (("", "county_cd"), ("cws_", "cws_county_cd")):
        options = zip3.loc[fam[cnty].to_numpy()].to_numpy()
        k = (rng.random(nf) * np.array([len(o) for o in options])).astype(int)
        z3 = np.array([o[i] for o, i in zip(options, k, strict=True)], dtype=object)
        fam[prefix + "zip"] = (
            z3 + pd.Series(rng.integers(1, 100, nf)).map("{:02d}".format).to_numpy()
        )
        fam[prefix + "address"] = (
            pd.Series(rng.integers(100, 20000, nf)).astype(str).to_numpy()
            + " "
            + streets["street"].to_numpy()[pick(rng, streets["weight"].to_numpy(), nf)]
        )
    same = ~fam["moved_address"].to_numpy()
    fam.loc[same, "cws_zip"] = fam.loc[same, "zip"]
    fam.loc[same, "cws_address"] = fam.loc[same, "address"]

    # Parents: father's surname, mother's names (her own surname may differ from the child's).
    fam["father_surname"] = _surnames(rng, params, fam["origin"].to_numpy())
    fam["mother_surname"] = _surnames(rng, params, fam["origin"].to_numpy())
    latino = (fam["origin"] == "latino").to_numpy()
    fam["mother_second_surname"] = np.where(
        latino, _surnames(rng, params, fam["origin"].to_numpy()), ""
    )
    fam["mother_first_name"] = _first_names(
        rng, params, fam["origin"].to_numpy(), np.full(nf, "F", dtype=object)
    )
    fam["father_first_name"] = _first_names(
        rng, params, fam["origin"].to_numpy(), np.full(nf, "M", dtype=object)
    )
    fam["grandmother_first_name"] = _first_names(
        rng, params, fam["origin"].to_numpy(), np.full(nf, "F", dtype=object)
    )
    fam["grandmother_surname"] = _surnames(rng, params, fam["origin"].to_numpy())
    fam["double_surname"] = latino & (rng.random(nf) < params["latino_double_surname"])
    # Without a father in the home a child often carries the mother's surname.
    fam["child_takes_mother_surname"] = rng.random(nf) < 0.18
    keep = params["mother_keeps_own_surname"]
    fam["mother_keeps_surname"] = rng.random(nf) < np.where(latino, keep["latino"], keep["other"])
    fam["case_head"] = Choice.of(params["case_head"]).draw(rng, nf)
    # The family's reference date in the window (CWS: the referral; CalWORKs-only: on aid).
    fam["ref_date"] = (
        win_start + (rng.random(nf) * ((win_end - win_start) / DAY + 1)).astype(np.int64)
    ).astype("datetime64[D]")
    fam["family_id"] = np.arange(nf)

    # --- children ---------------------------------------------------------------------------
    sizes = fam["size"].to_numpy()
    person_fam = np.repeat(np.arange(nf), sizes)
    n = len(person_fam)
    starts = np.cumsum(sizes) - sizes
    order = np.arange(n) - np.repeat(starts, sizes)  # 0 = youngest
    p = pd.DataFrame({"family_id": person_fam, "birth_rank": order})
    for col in ("category", "origin", "group", "ref_date", "county_cd", "cws_county_cd"):
        p[col] = fam[col].to_numpy()[person_fam]
    p["sex"] = np.where(rng.random(n) < 0.512, "M", "F").astype(object)

    # Birth dates, youngest first, counted back from the family's reference date. The
    # youngest child's age leaves room for the older ones: every child is under 18 on the last
    # day of the window (so under 18 on some day of it) and born by its end.
    ref = p["ref_date"].to_numpy()
    lowest = add_years(np.array([win_end]), -18)[0] + DAY
    spacing = rng.integers(*params["sibling_spacing_days"], size=n)
    spacing[rng.random(n) < params["twin_rate"]] = 0
    spacing[order == 0] = 0
    room = ((ref - lowest) / DAY).astype(np.int64)  # oldest possible age at ref, days
    fam_span = np.add.reduceat(spacing, starts) if n else np.zeros(0, np.int64)
    fam_room = room[starts]
    # A family too large for the span gets its spacing squeezed (never below a year).
    squeeze = np.minimum(1.0, (fam_room * 0.9) / np.maximum(fam_span, 1))[person_fam]
    spacing = np.where(spacing > 0, np.maximum((spacing * squeeze).astype(np.int64), 365), 0)
    extra = np.cumsum(spacing) - np.repeat(np.cumsum(spacing)[starts], sizes)
    span = extra[np.r_[starts[1:], n] - 1] if n else np.zeros(0, np.int64)  # oldest's offset
    free = np.maximum(fam_room - span, 0)
    newborn = rng.random(nf) < 0.09
    young = np.where(
        newborn,
        np.minimum(rng.integers(0, 60, nf), free),
        (free * rng.random(nf) ** 1.15).astype(np.int64),
    )
    dob = ref - (young[person_fam] + extra).astype("timedelta64[D]")
    p["dob"] = np.clip(dob, lowest, win_end - DAY)
    p["twin"] = False
    same_dob = (order > 0) & (spacing == 0)
    p.loc[same_dob, "twin"] = True
    prev = np.flatnonzero(same_dob) - 1
    p.loc[prev, "twin"] = True

    p["first_name"] = _first_names(rng, params, p["origin"].to_numpy(), p["sex"].to_numpy())
    # Siblings (twins above all) have different first names.
    multi = np.flatnonzero(sizes[person_fam] > 1)
    for _ in range(30):
        sub = p.iloc[multi]
        clash = multi[sub.duplicated(["family_id", "first_name"]).to_numpy()]
        if len(clash) == 0:
            break
        p.loc[clash, "first_name"] = _first_names(
            rng, params, p["origin"].to_numpy()[clash], p["sex"].to_numpy()[clash]
        )
    mid_rate = np.where(
        p["origin"].to_numpy() == "latino",
        params["middle_name_rate"]["latino"],
        params["middle_name_rate"]["other"],
    )
    middle = _first_names(rng, params, p["origin"].to_numpy(), p["sex"].to_numpy())
    middle = np.where(
        (rng.random(n) < mid_rate) & (middle != p["first_name"].to_numpy()), middle, ""
    )
    p["middle_name"] = middle

    fs = fam["father_surname"].to_numpy()[person_fam]
    ms = fam["mother_surname"].to_numpy()[person_fam]
    takes_mother = fam["child_takes_mother_surname"].to_numpy()[person_fam]
    double = fam["double_surname"].to_numpy()[person_fam] & (fs != ms)
    p["surname_a"] = np.where(takes_mother & ~double, ms, fs)
    p["surname_b"] = np.where(double, ms, "")
    p["last_name"] = np.where(double, p["surname_a"] + " " + p["surname_b"], p["surname_a"])

    # Social Security numbers: unique, valid area/group/serial.
    area = unique_ints(rng, n, 0, 10**9)  # uniqueness on the whole number, shaped below
    a = area % 899 + 1
    a = np.where(a == 666, 667, a)
    g = (area // 899) % 99 + 1
    s = (area // (899 * 99)) % 9999 + 1
    ssn = a * 10**6 + g * 10**4 + s
    while True:
        _, first = np.unique(ssn, return_index=True)
        dup = np.ones(n, dtype=bool)
        dup[first] = False
        if not dup.any():
            break
        ssn[dup] = (
            rng.integers(1, 899, int(dup.sum())) * 10**6
            + rng.integers(1, 99, int(dup.sum())) * 10**4
            + rng.integers(1, 9999, int(dup.sum()))
        )
    p["ssn"] = pd.Series(ssn).map("{:09d}".format).to_numpy()

    cat = p["category"].to_numpy()
    p["in_calworks"] = cat != "cws_only"
    p["in_cws"] = cat != "calworks_only"
    p["cws_case"] = False
    _assign_cws_cases(rng, p, counts)
    p["person_id"] = np.char.add(
        "P", pd.Series(unique_ints(rng, n, 10**8, 10**9)).astype(str).to_numpy().astype(str)
    ).astype(object)
    return fam, p


def _assign_cws_cases(rng: np.random.Generator, p: pd.DataFrame, counts: Counts) -> None:
    """Open a CWS case for whole families, in random order, until the case counts are met
    (the last family may have only some of its children on the case)."""
    for cat, target in (("both", counts.case_both), ("cws_only", counts.case - counts.case_both)):
        idx = np.flatnonzero((p["category"] == cat).to_numpy())
        fam = p["family_id"].to_numpy()[idx]
        fams = pd.unique(fam)
        rank = pd.Series(rng.permutation(len(fams)), index=fams)
        order = np.lexsort((p["birth_rank"].to_numpy()[idx], rank.loc[fam].to_numpy()))
        chosen = idx[order[:target]]
        p.loc[chosen, "cws_case"] = True


def window_referral_dates(
    rng: np.random.Generator, p: pd.DataFrame, params: SynthParams
) -> np.ndarray:
    """Each CWS child's referral in the window: the family's date, moved inside the days the
    child was alive and under 18 when that date does not fit."""
    dates = params["dates"]
    win_start, win_end = (
        np.datetime64(str(dates["window_start"])),
        np.datetime64(str(dates["window_end"])),
    )
    dob = p["dob"].to_numpy()
    lo = np.maximum(win_start, dob)
    hi = np.minimum(win_end, add_years(dob, 18) - DAY)
    ref = p["ref_date"].to_numpy()
    bad = (ref < lo) | (ref > hi)
    span = np.maximum((hi - lo) / DAY, 0).astype(np.int64) + 1
    redraw = lo + (rng.random(len(p)) * span).astype(np.int64).astype("timedelta64[D]")
    return np.where(bad, redraw, ref)
