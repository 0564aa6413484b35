"""Person records as each source recorded them (contracts.md §1), with duplicates and the
recording errors of ``config/synth/synth.yaml``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from linkages.synth import variants
from linkages.synth.params import Choice, SynthParams
from linkages.synth.util import DAY

PARTICLES = ("DE ", "DEL ", "DELA ", "DELOS ", "VAN ", "SAN ", "SANTA ")
PERSON_COLUMNS = [
    "record_id",
    "first_name",
    "middle_name",
    "last_name",
    "dob",
    "sex",
    "ssn",
    "county_cd",
    "zip",
    "address",
    "parent_first_name",
    "parent_last_name",
    "case_id",
]


def _mask(rng: np.random.Generator, n: int, rate: float | np.ndarray) -> np.ndarray:
    return rng.random(n) < rate


def _nickname_map(params: SynthParams) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, variant in zip(params.nicknames["name"], params.nicknames["variant"], strict=True):
        out.setdefault(name, []).append(variant)
    return out


def _nick(name: str, u: float, table: dict[str, list[str]]) -> str:
    options = table.get(name)
    return options[min(int(u * len(options)), len(options) - 1)] if options else name


def corrupt_names(
    rng: np.random.Generator, params: SynthParams, r: pd.DataFrame, rates: dict, boost: np.ndarray
) -> None:
    """Apply the name variants in place on r[first_name, middle_name, last_name,
    parent_first_name, parent_last_name]; ``boost`` multiplies the error rates of a row (a
    duplicate record is sloppier)."""
    n = len(r)
    first = r["first_name"].to_numpy(dtype=object).copy()
    middle = r["middle_name"].to_numpy(dtype=object).copy()
    a = r["surname_a"].to_numpy(dtype=object)
    b = r["surname_b"].to_numpy(dtype=object)

    # Two surnames: both (space or hyphen) or only one of them, either one.
    double = b != ""
    full = _mask(rng, n, rates["double_surname_full"] / np.where(boost > 1, 2.0, 1.0))
    hyphen = _mask(rng, n, rates["double_surname_hyphen"])
    which = rng.random(n) < 0.65
    last = np.where(
        double & full & hyphen,
        a + "-" + b,
        np.where(double & full, a + " " + b, np.where(double & which, a, np.where(double, b, a))),
    )
    last = last.astype(object)
    ls = pd.Series(last)
    particle = ls.str.startswith(PARTICLES).to_numpy() & ~double
    sel = particle & _mask(rng, n, rates["particle_variant"])
    last[sel] = variants.apply(variants.particle_variant, last[sel], rng.random(int(sel.sum())))
    apos = ls.str.contains("'", regex=False).to_numpy()
    sel = apos & _mask(rng, n, rates["apostrophe_dropped"])
    last[sel] = variants.apply(variants.apostrophe_variant, last[sel], rng.random(int(sel.sum())))

    # Compound first names split into first + middle.
    compound = pd.Series(first).str.contains(" ", regex=False).to_numpy()
    sel = compound & _mask(rng, n, rates["compound_split"])
    parts = pd.Series(first[sel]).str.split(" ", n=1)
    first[sel] = parts.str[0].to_numpy()
    middle[sel] = parts.str[1].to_numpy()

    table = _nickname_map(params)
    sel = pd.Series(first).isin(table.keys()).to_numpy() & _mask(rng, n, rates["nickname"] * boost)
    first[sel] = variants.apply(_nick, first[sel], rng.random(int(sel.sum())), table=table)

    sel = (middle != "") & _mask(rng, n, rates["first_middle_swap"] * boost)
    first[sel], middle[sel] = middle[sel], first[sel].copy()
    sel = _mask(rng, n, rates["middle_missing"])
    middle[sel] = ""
    sel = (middle != "") & _mask(rng, n, rates["middle_initial"])
    middle[sel] = pd.Series(middle[sel]).str[0].to_numpy()

    for arr, rate in ((first, rates["first_typo"]), (last, rates["last_typo"])):
        sel = _mask(rng, n, rate * boost)
        k = int(sel.sum())
        arr[sel] = variants.apply(
            variants.typo, arr[sel], rng.random(k), rng.random(k), rng.random(k)
        )
    rules = list(
        zip(
            params.phonetic["pattern"],
            params.phonetic["replacement"],
            params.phonetic["where"],
            strict=True,
        )
    )
    sel = _mask(rng, n, rates["phonetic"] * boost)
    on_first = rng.random(n) < 0.6
    for arr, m in ((first, sel & on_first), (last, sel & ~on_first)):
        arr[m] = variants.apply(variants.phonetic, arr[m], rng.random(int(m.sum())), rules=rules)

    r["first_name"] = first
    r["middle_name"] = middle
    r["last_name"] = last
    # Accents: kept by the record or stripped from every name on it.
    strip = ~_mask(rng, n, rates["accent_kept"])
    for col in ("first_name", "middle_name", "last_name", "parent_first_name", "parent_last_name"):
        values = r[col].astype(object)
        values[strip] = variants.strip_accents(values[strip].astype(str))
        r[col] = values


def corrupt_dates_ids(
    rng: np.random.Generator, params: SynthParams, r: pd.DataFrame, rates: dict, boost: np.ndarray
) -> None:
    n = len(r)
    dob = r["dob"].to_numpy().astype("datetime64[D]")
    ts = pd.DatetimeIndex(dob)
    eligible_t = np.asarray(ts.day <= 12) & np.asarray(ts.day != ts.month)
    u = rng.random(n)
    kinds = np.full(n, "", dtype=object)
    edges = np.cumsum(
        [rates["dob_transposed"], rates["dob_digit"], rates["dob_year"], rates["dob_jan1"]]
    )
    kinds[u < edges[0]] = "transposed"
    kinds[(u >= edges[0]) & (u < edges[1])] = "digit"
    kinds[(u >= edges[1]) & (u < edges[2])] = "year"
    kinds[(u >= edges[2]) & (u < edges[3])] = "jan1"
    # A transposition needs a day that can be a month; spread the rate over eligible dates.
    redo = (kinds == "transposed") & ~eligible_t
    kinds[redo] = ""
    boost_t = eligible_t & (kinds == "") & (rng.random(n) < rates["dob_transposed"] * 1.6)
    kinds[boost_t] = "transposed"
    sel = kinds != ""
    if sel.any():
        dob[sel] = variants.dob_error(dob[sel], kinds[sel], rng.random(int(sel.sum())))
    # Never a birth date after the extract cutoff or after the record's own events.
    limit = r["dob_limit"].to_numpy().astype("datetime64[D]")
    dob = np.where(dob > limit, r["dob"].to_numpy(), dob)
    missing = _mask(rng, n, rates["dob_missing"] * boost)
    r["dob"] = np.where(missing, np.datetime64("NaT"), dob).astype("datetime64[D]")
    r["dob_error"] = np.where(missing, "missing", kinds)

    ssn = r["ssn"].to_numpy(dtype=object).copy()
    present = _mask(rng, n, rates["ssn_present"])
    placeholder = present & _mask(rng, n, rates["ssn_placeholder"])
    opts = np.array(params["corruption"]["ssn_placeholders"], dtype=object)
    ssn[placeholder] = opts[rng.integers(0, len(opts), int(placeholder.sum()))]
    typo = present & ~placeholder & _mask(rng, n, rates["ssn_typo"])
    if typo.any():
        pos = rng.integers(0, 9, int(typo.sum()))
        digit = rng.integers(1, 10, int(typo.sum()))
        chars = np.array([list(s) for s in ssn[typo]])
        old = chars[np.arange(len(pos)), pos].astype(int)
        chars[np.arange(len(pos)), pos] = ((old + digit) % 10).astype(str)
        ssn[typo] = np.array(["".join(c) for c in chars], dtype=object)
    dashed = _mask(rng, n, 0.3) & present
    s = pd.Series(ssn[dashed], dtype=object)
    ssn[dashed] = (s.str[:3] + "-" + s.str[3:5] + "-" + s.str[5:]).to_numpy()
    r["ssn"] = np.where(present, ssn, "")
    r["ssn_kind"] = np.where(
        ~present, "missing", np.where(placeholder, "placeholder", np.where(typo, "typo", "valid"))
    )

    sex = r["sex"].to_numpy(dtype=object).copy()
    sc = params["sex_codes"]
    u = rng.random(n)
    sex[u < sc["unknown_u"]] = "U"
    sex[(u >= sc["unknown_u"]) & (u < sc["unknown_u"] + sc["intersex"])] = "I"
    sex[_mask(rng, n, rates["sex_missing"])] = ""
    r["sex"] = sex
    for col, key in (("zip", "zip_missing"), ("address", "address_missing")):
        r.loc[_mask(rng, n, rates[key]), col] = ""
    gone = _mask(rng, n, rates["parent_missing"])
    r.loc[gone, "parent_first_name"] = ""
    r.loc[gone, "parent_last_name"] = ""


def newborn_placeholders(rng: np.random.Generator, params: SynthParams, r: pd.DataFrame) -> None:
    """CWS records of infants referred in their first weeks often carry BABY BOY, BB, ..."""
    c = params["corruption"]
    age = (r["ref_date"].to_numpy() - r["true_dob"].to_numpy()) / DAY
    sel = (age >= 0) & (age <= c["newborn_max_age_days"]) & _mask(rng, len(r), c["newborn_unnamed"])
    choice = Choice.of(c["newborn_placeholders"]).draw(rng, int(sel.sum()))
    sex = r["sex"].to_numpy()[sel]
    # BABY BOY on a girl's record would be a different error; match the placeholder to sex.
    choice = np.where(
        (choice == "BABY BOY") & (sex == "F"),
        "BABY GIRL",
        np.where((choice == "BABY GIRL") & (sex == "M"), "BABY BOY", choice),
    )
    r.loc[sel, "first_name"] = choice
    r.loc[sel, "middle_name"] = ""
    r["newborn_placeholder"] = sel


def ethnicity(
    rng: np.random.Generator, params: SynthParams, origin: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """CWS/CMS ethnicity_cd and Hispanic Origin indicator recorded for each record."""
    n = len(origin)
    code = np.full(n, "", dtype=object)
    for key, mix in params["ethnicity_codes"].items():
        sel = origin == key
        if sel.any():
            code[sel] = Choice.of(mix).draw(rng, int(sel.sum()))
    rec = params["ethnicity_recording"]
    latino = origin == "latino"
    hisp = np.where(
        latino,
        np.where(rng.random(n) < rec["latino_hispanic_y"], "Y", ""),
        np.where(rng.random(n) < rec["other_hispanic_n"], "N", ""),
    ).astype(object)
    # A Latino child coded 839 (White) is Latino only through the indicator.
    hisp[latino & (code == "839")] = "Y"
    missing = rng.random(n) < rec["code_missing"]
    code[missing] = ""
    return code, hisp
