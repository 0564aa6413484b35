"""A second, independent population and corruption model, to test the matcher on error
patterns our own generator (``linkages synth``) does not make.

    .venv/bin/python bench/independent_model.py --out DIR --scale 0.05 [--seed 1]

Nothing here comes from ``linkages/synth`` or ``config/synth``: the names are Faker's lists
(United States Census / SSA based, and Mexican Spanish) with a procedurally made tail of rare
names, and every error rate is taken from a published source, cited in :data:`RATES` (and in
bench/README.md). The matcher is never tuned on these files: they are a test, not a target.

The shape follows the third-party pair described in issue 12: the left file is SSA-like
(child's names, date of birth, sex, SSN; no parent, no address), the right file census-like
(child's names with a middle initial, date of birth, sex, the mother's names, address, zip and
county; no SSN). At ``--scale 1.0``: about 1.8 million left and 0.7 million right records.

Writes ``calworks_children.csv`` (left), ``cws_children.csv`` (right), ``truth.csv`` and
``truth_stats.json`` (the seed-004 rates the truth gives), in the layout ``bench_linkage.py``
reads (``--data DIR``).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Rate:
    value: float
    source: str


HADDOCK = ("Haddock B. et al. (2024), Simulated data for census-scale entity resolution "
           "research without privacy restrictions, Gates Open Research 8:36 (pseudopeople "
           "noise types; default cell probability 1%, token probability 10%)")
RATES: dict[str, Rate] = {
    # Errors, per cell of each file (each file corrupted independently).
    "leave_blank": Rate(0.01, HADDOCK + ": 'leave a field blank'"),
    "fake_first_name": Rate(0.01, HADDOCK + ": 'use a fake name' (half of them placeholder "
                            "words such as DAUGHTER, SON, BABY; half another real name)"),
    "nickname": Rate(0.01, HADDOCK + ": 'use a nickname' (here a shortened form)"),
    "relative_dob": Rate(0.01, HADDOCK + ": 'copy from household member' (a sibling's or "
                         "the mother's date of birth)"),
    "swap_month_day": Rate(0.01, HADDOCK + ": 'swap month and day'"),
    "typo_cell": Rate(0.01, HADDOCK + ": 'make typos' (keyboard neighbours, QWERTY)"),
    "ocr_cell": Rate(0.01, HADDOCK + ": 'make OCR errors'"),
    "token": Rate(0.10, HADDOCK + ": token probability of typos and OCR errors; with it about "
                  "4 in 5 misspelt names carry a single error, as Damerau F.J. (1964), A "
                  "technique for computer detection and correction of spelling errors, CACM "
                  "7(3):171-176, found of over 80% of misspellings"),
    "wrong_digits": Rate(0.01, HADDOCK + ": 'write wrong digits' (SSN, zip), each digit "
                         "with the token probability"),
    "wrong_sex": Rate(0.01, HADDOCK + ": 'choose the wrong option'"),
    # Population.
    "twins": Rate(0.032, "Martin J.A. et al. (2021), Births: final data for 2019, National "
                  "Vital Statistics Reports 70(2): twin birth rate 32.1 per 1,000 births"),
    "rare_surname": Rate(0.5, "U.S. Census Bureau, Frequently occurring surnames in the 2010 "
                         "Census (Comenetz 2016): the 1,000 commonest surnames cover well "
                         "under half of the population; here half carry a surname outside "
                         "Faker's 1,623"),
    "rare_first_name": Rate(0.25, "U.S. Social Security Administration, popular baby names: "
                            "the 1,000 commonest names cover about three quarters of births"),
}
PLACEHOLDERS = ("DAUGHTER", "SON", "RESIDENT", "MOM", "BABY", "CHILD", "INFANT", "BOY", "GIRL",
                "MINOR", "NONE")
# Characters an OCR engine confuses (as read from a scanned form), both directions.
OCR_CONFUSIONS = {"O": "0Q", "0": "O", "I": "1L", "L": "1I", "1": "IL", "S": "5", "5": "S",
                  "B": "8H", "8": "B", "E": "F", "F": "E", "G": "C6", "C": "G", "H": "B",
                  "M": "N", "N": "M", "U": "V", "V": "U", "Z": "2", "2": "Z", "A": "R",
                  "R": "A", "D": "O", "K": "X", "T": "7", "Y": "V", "W": "VV", "P": "F"}
QWERTY = ["QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM"]
REFERENCE_DATE = pd.Timestamp("2020-01-01")


def _neighbours() -> dict[str, str]:
    out: dict[str, str] = {}
    for r, row in enumerate(QWERTY):
        for c, ch in enumerate(row):
            near = []
            for rr in (r - 1, r, r + 1):
                if 0 <= rr < len(QWERTY):
                    for cc in (c - 1, c, c + 1):
                        if 0 <= cc < len(QWERTY[rr]) and (rr, cc) != (r, c):
                            near.append(QWERTY[rr][cc])
            out[ch] = "".join(near)
    return out


NEIGHBOURS = _neighbours()


def _name_lists() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Name lists with weights: Faker's United States lists carry the Census/SSA
    frequencies; the Mexican Spanish lists are unweighted."""
    from faker.providers.person.en_US import Provider as US
    from faker.providers.person.es_MX import Provider as MX

    def weighted(values: object) -> tuple[np.ndarray, np.ndarray]:
        if isinstance(values, dict):
            names = np.array([str(k).upper() for k in values], dtype=object)
            w = np.array(list(values.values()), dtype=float)
        else:
            names = np.array([str(v).upper() for v in values], dtype=object)
            w = np.ones(len(names))
        return names, w / w.sum()

    return {"female_us": weighted(US.first_names_female),
            "male_us": weighted(US.first_names_male),
            "female_mx": weighted(MX.first_names_female),
            "male_mx": weighted(MX.first_names_male),
            "surname_us": weighted(US.last_names), "surname_mx": weighted(MX.last_names)}


def _made_up_names(rng: np.random.Generator, count: int) -> np.ndarray:
    """Rare names: two or three syllables of common English/Spanish letter patterns."""
    onsets = ["B", "BR", "C", "CH", "D", "F", "G", "GR", "H", "J", "K", "L", "M", "N", "P",
              "R", "S", "ST", "T", "TR", "V", "W", "Y", "Z", ""]
    vowels = ["A", "E", "I", "O", "U", "AI", "EA", "OU", "IA"]
    codas = ["", "", "N", "R", "L", "S", "T", "NN", "RD", "LD", "Z", "K"]
    parts = []
    for _ in range(3):
        parts.append(np.char.add(np.char.add(rng.choice(onsets, count), rng.choice(vowels, count)),
                                 rng.choice(codas, count)))
    two = np.char.add(parts[0], parts[1])
    three = np.char.add(two, parts[2])
    out = np.where(rng.random(count) < 0.8, two, three)
    return np.unique(out[np.char.str_len(out) >= 3]).astype(object)


def population(n_children: int, rng: np.random.Generator) -> pd.DataFrame:
    """Children in households: a mother, one to four children (a share of them twins), one
    address, zip and county per household."""
    lists = _name_lists()
    tail_surnames = _made_up_names(rng, max(2000, n_children // 8))
    tail_first = _made_up_names(rng, max(1000, n_children // 60))
    sizes = rng.choice([1, 2, 3, 4], size=max(1, n_children // 2), p=[0.35, 0.35, 0.2, 0.1])
    sizes = sizes[: np.searchsorted(np.cumsum(sizes), n_children) + 1]
    n_house = len(sizes)
    household = np.repeat(np.arange(n_house), sizes)
    n = len(household)
    hispanic_home = rng.random(n_house) < 0.5

    def draw(kind: str, size: int, tail: np.ndarray, tail_share: float) -> np.ndarray:
        names, w = lists[kind]
        out = rng.choice(names, size=size, p=w)
        rare = rng.random(size) < tail_share
        out[rare] = rng.choice(tail, size=int(rare.sum()))
        return out

    surname_share = RATES["rare_surname"].value
    mother_last = np.where(hispanic_home, draw("surname_mx", n_house, tail_surnames, surname_share),
                           draw("surname_us", n_house, tail_surnames, surname_share))
    mother_first = np.where(hispanic_home & (rng.random(n_house) < 0.6),
                            draw("female_mx", n_house, tail_first, 0.1),
                            draw("female_us", n_house, tail_first, 0.1))
    # A fifth of the children carry another (the father's) surname.
    own_surname = rng.random(n) < 0.2
    father_last = np.where(hispanic_home, draw("surname_mx", n_house, tail_surnames, surname_share),
                           draw("surname_us", n_house, tail_surnames, surname_share))
    last = np.where(own_surname, father_last[household], mother_last[household])
    sex = np.where(rng.random(n) < 0.5, "F", "M")
    hisp = hispanic_home[household] & (rng.random(n) < 0.6)
    first_share = RATES["rare_first_name"].value
    first = np.empty(n, dtype=object)
    for s, kind in (("F", "female"), ("M", "male")):
        for h, origin in ((True, "mx"), (False, "us")):
            sel = (sex == s) & (hisp == h)
            first[sel] = draw(f"{kind}_{origin}", int(sel.sum()), tail_first, first_share)
    middle = draw("female_us", n, tail_first, 0.0)
    male = sex == "M"
    middle[male] = draw("male_us", int(male.sum()), tail_first, 0.0)
    has_middle = rng.random(n) < 0.7
    middle = np.where(has_middle, middle, "")
    # Ages 0-17 at the reference date; twins share their sibling's date of birth.
    age_days = rng.integers(0, 18 * 365, n)
    younger = np.r_[False, household[1:] == household[:-1]]
    twin = (rng.random(n) < RATES["twins"].value / 2) & younger
    for i in np.flatnonzero(twin):  # a twin takes the age of the sibling before it
        age_days[i] = age_days[i - 1]
    dob = REFERENCE_DATE - pd.to_timedelta(age_days, unit="D")
    mother_age = rng.integers(18 * 365, 40 * 365, n_house)
    eldest = pd.Series(age_days).groupby(household).max().to_numpy()
    mother_dob = REFERENCE_DATE - pd.to_timedelta(eldest + mother_age, unit="D")
    county = rng.integers(1, 59, n_house)
    zip_code = 90001 + (county - 1) * 100 + rng.integers(0, 100, n_house)
    street_names = np.concatenate([lists["surname_us"][0], tail_surnames[:2000]])
    streets = np.char.add(np.char.add(rng.integers(1, 20000, n_house).astype(str), " "),
                          rng.choice(street_names, n_house).astype(str))
    streets = np.char.add(streets, rng.choice([" ST", " AVE", " RD", " DR", " WAY", " CT",
                                               " BLVD", " LN"], n_house))
    ssn = _ssns(rng, n)
    return pd.DataFrame({
        "person_id": np.arange(n), "household": household, "first_name": first,
        "middle_name": middle, "last_name": last, "dob": dob, "sex": sex, "ssn": ssn,
        "county_cd": county[household], "zip": zip_code[household],
        "address": streets[household], "parent_first_name": mother_first[household],
        "parent_last_name": mother_last[household], "mother_dob": mother_dob[household],
    })


def _ssns(rng: np.random.Generator, n: int) -> np.ndarray:
    """Distinct SSNs of valid shape (area 001-665 or 667-899, group 01-99, serial 0001-9999)."""
    area = rng.integers(1, 899, n * 2)
    area = area[area != 666]
    group = rng.integers(1, 100, len(area))
    serial = rng.integers(1, 10000, len(area))
    numbers = np.unique(area * 1_000_000 + group * 10_000 + serial)
    return rng.permutation(numbers)[:n]


# --- corruption ----------------------------------------------------------------------------


def _typo(name: str, rng: np.random.Generator, token: float) -> str:
    chars = list(name)
    out: list[str] = []
    i = 0
    while i < len(chars):
        ch = chars[i]
        if ch.isalpha() and rng.random() < token:
            kind = rng.integers(0, 4)
            if kind == 0 and ch in NEIGHBOURS:  # a neighbouring key
                out.append(NEIGHBOURS[ch][rng.integers(0, len(NEIGHBOURS[ch]))])
            elif kind == 1:  # the key pressed twice, or a neighbour with it
                out.extend([ch, ch if rng.random() < 0.5 else NEIGHBOURS.get(ch, ch)[0]])
            elif kind == 2:  # a key missed
                pass
            elif i + 1 < len(chars):  # two keys swapped
                out.extend([chars[i + 1], ch])
                i += 1
            else:
                out.append(ch)
        else:
            out.append(ch)
        i += 1
    return "".join(out) or name


def _ocr(name: str, rng: np.random.Generator, token: float) -> str:
    out = []
    for ch in name:
        if ch in OCR_CONFUSIONS and rng.random() < token:
            options = OCR_CONFUSIONS[ch]
            out.append(options[rng.integers(0, len(options))])
        elif ch == "M" and rng.random() < token / 2:
            out.append("RN")
        else:
            out.append(ch)
    return "".join(out)


def _nickname(name: str, rng: np.random.Generator) -> str:
    if len(name) <= 4:
        return name
    return name[: int(rng.integers(3, min(5, len(name) - 1) + 1))]


def _wrong_digits(value: str, rng: np.random.Generator, token: float) -> str:
    return "".join(str(rng.integers(0, 10)) if c.isdigit() and rng.random() < token else c
                   for c in value)


def corrupt(records: pd.DataFrame, columns: list[str], rng: np.random.Generator,
            households: pd.DataFrame) -> pd.DataFrame:
    """Each cell of ``columns`` independently, at the rates of :data:`RATES`."""
    out = records.copy()
    n = len(out)
    token = RATES["token"].value

    def cells(rate: str) -> np.ndarray:
        return np.flatnonzero(rng.random(n) < RATES[rate].value)

    names = [c for c in ("first_name", "middle_name", "last_name", "parent_first_name",
                         "parent_last_name") if c in columns]
    if "first_name" in columns:
        rows = cells("nickname")
        out.iloc[rows, out.columns.get_loc("first_name")] = [
            _nickname(v, rng) for v in out["first_name"].to_numpy()[rows]]
        rows = cells("fake_first_name")
        placeholder = rng.random(len(rows)) < 0.5
        others = out["first_name"].to_numpy()[rng.integers(0, n, len(rows))]
        out.iloc[rows, out.columns.get_loc("first_name")] = np.where(
            placeholder, rng.choice(PLACEHOLDERS, len(rows)), others)
    for col in names:
        for rate, fn in (("typo_cell", _typo), ("ocr_cell", _ocr)):
            rows = cells(rate)
            out.iloc[rows, out.columns.get_loc(col)] = [
                fn(v, rng, token) if v else v for v in out[col].to_numpy()[rows]]
    if "dob" in columns:
        dob = out["dob"].copy()
        rows = cells("relative_dob")
        # A sibling's date of birth when the child has one (half the time), else the mother's.
        house = households.reindex(out["household"].to_numpy()[rows])
        own = dob.iloc[rows].to_numpy()
        sibling = np.where(house["first_dob"].to_numpy() != own, house["first_dob"].to_numpy(),
                           house["last_dob"].to_numpy())
        use_sibling = (house["children"].to_numpy() > 1) & (rng.random(len(rows)) < 0.5)
        dob.iloc[rows] = np.where(use_sibling, sibling, house["mother_dob"].to_numpy())
        rows = cells("swap_month_day")
        d = dob.iloc[rows]
        swappable = d.dt.day <= 12
        dob.iloc[rows[swappable.to_numpy()]] = pd.to_datetime(
            {"year": d[swappable].dt.year, "month": d[swappable].dt.day,
             "day": d[swappable].dt.month}).to_numpy()
        out["dob"] = dob.dt.strftime("%Y-%m-%d")
    if "sex" in columns:
        rows = cells("wrong_sex")
        out.iloc[rows, out.columns.get_loc("sex")] = np.where(
            out["sex"].to_numpy()[rows] == "F", "M", "F")
    for col in ("ssn", "zip"):
        if col in columns:
            text = out[col].astype(str).to_numpy()
            if col == "ssn":
                text = np.char.zfill(text.astype(str), 9).astype(object)
            rows = cells("wrong_digits")
            text[rows] = [_wrong_digits(v, rng, token) for v in text[rows]]
            out[col] = text
    for col in columns:
        if col == "record_id":
            continue
        rows = cells("leave_blank")
        out[col] = out[col].astype(object)
        out.iloc[rows, out.columns.get_loc(col)] = ""
    return out[columns]


def generate(out: Path, scale: float, seed: int) -> dict[str, int]:
    rng = np.random.default_rng(seed)
    # Statewide: about 1.8 million left and 0.7 million right records, 36% of the right
    # children also on the left (the seed-004 proportions, as the third-party pair had).
    n_left, n_right = int(1_800_000 * scale), int(700_000 * scale)
    overlap = int(0.36 * n_right)
    pop = population(n_left + n_right - overlap, rng)
    households = _household_facts(pop)
    order = rng.permutation(len(pop))
    both, left_only = order[:overlap], order[overlap:n_left]
    right_only = order[n_left:n_left + n_right - overlap]
    left = pop.iloc[np.concatenate([both, left_only])].copy()
    right = pop.iloc[np.concatenate([both, right_only])].copy()
    left = left.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    right = right.sample(frac=1.0, random_state=seed + 1).reset_index(drop=True)
    left["record_id"] = [f"S{i:07d}" for i in range(len(left))]
    right["record_id"] = [f"C{i:07d}" for i in range(len(right))]
    right["middle_name"] = right["middle_name"].str.slice(0, 1)
    # Three in five census-like records carry a case (the right_case rate needs some).
    right["case_id"] = np.where(rng.random(len(right)) < 0.6,
                                [f"K{h:07d}" for h in right["household"]], "")
    left_cols = ["record_id", "first_name", "middle_name", "last_name", "dob", "sex", "ssn"]
    right_cols = ["record_id", "first_name", "middle_name", "last_name", "dob", "sex",
                  "county_cd", "zip", "address", "parent_first_name", "parent_last_name",
                  "case_id"]
    left_out = corrupt(left, left_cols, rng, households)
    right_out = corrupt(right, [c for c in right_cols if c != "case_id"], rng, households)
    right_out["case_id"] = right["case_id"].to_numpy()
    out.mkdir(parents=True, exist_ok=True)
    left_out.to_csv(out / "calworks_children.csv", index=False)
    right_out.to_csv(out / "cws_children.csv", index=False)
    truth = pd.concat([
        pd.DataFrame({"source": "calworks", "record_id": left["record_id"],
                      "person_id": left["person_id"]}),
        pd.DataFrame({"source": "cws", "record_id": right["record_id"],
                      "person_id": right["person_id"]})], ignore_index=True)
    truth.to_csv(out / "truth.csv", index=False)
    in_left = set(left["person_id"])
    right_matched = right["person_id"].isin(in_left)
    case = right["case_id"] != ""
    stats = {
        "left_records": len(left), "left_persons": len(left),
        "left_persons_matched": int(right_matched.sum()),
        "left_match_rate": round(float(right_matched.sum()) / len(left), 6),
        "right_records": len(right), "right_persons": len(right),
        "right_persons_matched": int(right_matched.sum()),
        "right_match_rate": round(float(right_matched.mean()), 6),
        "right_case_persons": int(case.sum()),
        "right_case_persons_matched": int((right_matched & case).sum()),
        "right_case_match_rate": round(float((right_matched & case).sum() / max(case.sum(), 1)),
                                       6),
        "generator": "bench/independent_model.py", "scale": scale, "seed": seed,
        "rates": {k: {"value": r.value, "source": r.source} for k, r in RATES.items()},
    }
    (out / "truth_stats.json").write_text(json.dumps(stats, indent=2) + "\n")
    return {"left": len(left), "right": len(right), "true_pairs": overlap}


def _household_facts(pop: pd.DataFrame) -> pd.DataFrame:
    """Per household: the mother's date of birth and one child's (another child's date of
    birth for 'copy from household member')."""
    return pop.groupby("household").agg(mother_dob=("mother_dob", "first"),
                                         first_dob=("dob", "first"), last_dob=("dob", "last"),
                                         children=("dob", "size"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--scale", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    counts = generate(args.out, args.scale, args.seed)
    print(f"{args.out}: {counts['left']:,} left and {counts['right']:,} right records, "
          f"{counts['true_pairs']:,} true pairs")
    return 0


if __name__ == "__main__":
    sys.exit(main())

