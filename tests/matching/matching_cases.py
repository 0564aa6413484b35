"""Small person files with the hard cases of California linkage, written by the tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

COLUMNS = ["record_id", "first_name", "middle_name", "last_name", "dob", "sex", "ssn",
           "county_cd", "zip", "address", "parent_first_name", "parent_last_name", "case_id"]
FIRST = ["SOFIA", "EMMA", "OLIVIA", "ISABELLA", "MIA", "CAMILA", "VALERIA", "XIMENA", "AVA",
         "NOAH", "LIAM", "MATEO", "SEBASTIAN", "DIEGO", "ETHAN", "DANIEL", "ANGEL", "JULIAN",
         "ADRIAN", "GAEL", "LUCAS", "ELIJAH", "AARON", "ISAAC", "EZEKIEL", "JAYDEN", "CHLOE",
         "ZOE", "NATALIE", "HANNAH", "LEAH", "NORA", "RUBY", "IVY", "PAISLEY", "MADISON"]
LAST = ["GARCIA", "HERNANDEZ", "LOPEZ", "MARTINEZ", "GONZALEZ", "RODRIGUEZ", "PEREZ", "SANCHEZ",
        "RAMIREZ", "TORRES", "FLORES", "RIVERA", "SMITH", "JOHNSON", "WILLIAMS", "BROWN",
        "NGUYEN", "TRAN", "VANG", "LEE", "ZAMUDIO", "ORTEGA", "MORALES", "REYES", "CRUZ",
        "JACKSON", "THOMPSON", "WHITE", "HARRIS", "CLARK", "LEWIS", "YOUNG", "WALKER", "HALL"]
PARENT = ["MARIA", "ANA", "ROSA", "JESSICA", "ASHLEY", "BRITTANY", "AMANDA", "VANESSA",
          "LETICIA", "YESENIA", "CLAUDIA", "MONICA", "SANDRA", "PATRICIA", "LAURA", "KAREN"]
STREETS = ["OAK ST", "MAIN ST", "PINE AVE", "CEDAR ST", "1ST ST", "2ND ST", "ELM AVE",
           "OLIVE AVE", "MAPLE DR", "LAKE ST", "PARK AVE", "E ST", "MISSION BLVD"]


def base_population(n: int, seed: int = 7) -> pd.DataFrame:
    """Distinct children with plausible, colliding names."""
    rng = np.random.default_rng(seed)
    dob = pd.Timestamp("2005-01-01") + pd.to_timedelta(rng.integers(0, 6000, n), unit="D")
    ssn = rng.choice(np.arange(100_00_0001, 665_99_9999), n, replace=False)
    return pd.DataFrame({
        "first_name": rng.choice(FIRST, n),
        "middle_name": "",
        "last_name": rng.choice(LAST, n),
        "dob": dob.strftime("%Y-%m-%d"),
        "sex": rng.choice(["F", "M"], n),
        "ssn": [f"{s:09d}" for s in ssn],
        "county_cd": rng.integers(1, 59, n).astype(str),
        "zip": [f"9{z:04d}" for z in rng.integers(0, 9999, n)],
        "address": [f"{h} {s}" for h, s in zip(rng.integers(100, 20000, n),
                                                 rng.choice(STREETS, n), strict=True)],
        "parent_first_name": rng.choice(PARENT, n),
        "parent_last_name": rng.choice(LAST, n),
        "case_id": "",
    })


def person_files(n: int = 600, overlap: int = 250, seed: int = 7
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Left: n children; right: `overlap` of them (copied, with a blank SSN for a third)
    plus n // 2 others. Record ids L*/R*; the same person index means the same child."""
    pop = base_population(n + n // 2, seed)
    left = pop.iloc[:n].copy()
    left.insert(0, "record_id", [f"L{i}" for i in range(n)])
    right = pd.concat([pop.iloc[:overlap], pop.iloc[n:]]).copy()
    right.insert(0, "record_id", [f"R{i}" for i in range(overlap)]
                 + [f"R{i}" for i in range(n, n + n // 2)])
    right.loc[right.index[: overlap // 3], "ssn"] = ""
    right["case_id"] = ["C1" if i % 5 == 0 else "" for i in range(len(right))]
    return left.reset_index(drop=True), right.reset_index(drop=True)


def write(frame: pd.DataFrame, path: Path) -> Path:
    frame[COLUMNS].to_csv(path, index=False)
    return path


