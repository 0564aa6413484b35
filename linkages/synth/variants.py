"""How a true name or date turns into what a clerk typed.

Each function takes the true values of the selected records and uniform random numbers drawn
for them by the caller (so the result depends only on the seed), and returns the recorded
values. Name variants are applied only to the records a corruption rate selected, never to the
whole population.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

_KEYBOARD_ROWS = ("QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM")


def _keyboard_neighbours() -> dict[str, str]:
    pos = {ch: (r, c) for r, row in enumerate(_KEYBOARD_ROWS) for c, ch in enumerate(row)}
    out: dict[str, str] = {}
    for ch, (r, c) in pos.items():
        near = [
            o for o, (r2, c2) in pos.items() if o != ch and abs(r2 - r) <= 1 and abs(c2 - c) <= 1
        ]
        out[ch] = "".join(near)
    return out


KEYBOARD = _keyboard_neighbours()
_ACCENTS = str.maketrans("ÁÉÍÓÚÜÑáéíóúüñ", "AEIOUUNaeiouun")


def strip_accents(values: pd.Series) -> pd.Series:
    """MUÑOZ → MUNOZ, JOSÉ → JOSE (what most county systems store). Names repeat a lot, so
    the distinct values are translated once."""
    codes, uniques = pd.factorize(values)
    stripped = np.array([u.translate(_ACCENTS) for u in uniques], dtype=object)
    return pd.Series(stripped[codes] if len(uniques) else values.to_numpy(), index=values.index)


def has_accent(values: pd.Series) -> pd.Series:
    return values.str.contains("[ÁÉÍÓÚÜÑ]", regex=True, na=False)


def typo(name: str, u_op: float, u_pos: float, u_key: float) -> str:
    """One keyboard slip: substitution by a neighbouring key, deletion, insertion or
    transposition of two adjacent letters. The first letter is kept (clerks rarely miss it)."""
    letters = [i for i, ch in enumerate(name) if ch.isalpha() and ch in KEYBOARD and i > 0]
    if len(name) < 3 or not letters:
        return name
    i = letters[min(int(u_pos * len(letters)), len(letters) - 1)]
    ch = name[i]
    if u_op < 0.35:
        near = KEYBOARD[ch]
        return name[:i] + near[min(int(u_key * len(near)), len(near) - 1)] + name[i + 1 :]
    if u_op < 0.60:
        return name[:i] + name[i + 1 :]
    if u_op < 0.80:
        near = KEYBOARD[ch] + ch  # a doubled letter is the commonest insertion
        return name[:i] + near[min(int(u_key * len(near)), len(near) - 1)] + name[i:]
    j = i - 1 if i == len(name) - 1 else i
    if j < 1 or not name[j + 1].isalpha():
        return name[:i] + name[i + 1 :]
    return name[:j] + name[j + 1] + name[j] + name[j + 2 :]


def phonetic(name: str, u_rule: float, rules: list[tuple[str, str, str]]) -> str:
    """Apply one applicable spelling rule (Y/LL, V/B, S/Z, silent H, ...); unchanged if none."""
    usable = []
    for pattern, replacement, where in rules:
        if where == "start":
            if name.startswith(pattern) and len(name) > len(pattern) + 1:
                usable.append((pattern, replacement, where))
        elif where == "end":
            if name.endswith(pattern) and len(name) > len(pattern) + 1:
                usable.append((pattern, replacement, where))
        elif pattern in name[1:]:
            usable.append((pattern, replacement, where))
    if not usable:
        return name
    pattern, replacement, where = usable[min(int(u_rule * len(usable)), len(usable) - 1)]
    if where == "start":
        return replacement + name[len(pattern) :]
    if where == "end":
        return name[: len(name) - len(pattern)] + replacement
    k = name.index(pattern, 1)
    return name[:k] + replacement + name[k + len(pattern) :]


def particle_variant(surname: str, u: float) -> str:
    """DE LA CRUZ → DELACRUZ, CRUZ or DE LACRUZ; DEL RIO → DELRIO or RIO."""
    parts = surname.split(" ")
    if u < 0.45:
        return "".join(parts)
    if u < 0.80:
        return parts[-1]
    return " ".join([*parts[:-2], parts[-2] + parts[-1]]) if len(parts) > 2 else parts[-1]


def apostrophe_variant(surname: str, u: float) -> str:
    """O'NEAL → ONEAL or O NEAL."""
    return surname.replace("'", "" if u < 0.7 else " ")


def apply(func, values: np.ndarray, *randoms: np.ndarray, **kwargs) -> np.ndarray:
    """Run a per-name variant over the selected names (a small share of the records)."""
    return np.array(
        [func(v, *r, **kwargs) for v, *r in zip(values, *randoms, strict=True)], dtype=object
    )


# --- dates ----------------------------------------------------------------------------------


def _valid(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    text = pd.Series(
        [f"{y:04d}-{m:02d}-{d:02d}" for y, m, d in zip(year, month, day, strict=True)], dtype=object
    )
    parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    return parsed.notna().to_numpy(), parsed.to_numpy().astype("datetime64[D]")


def dob_error(dob: np.ndarray, kind: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Recorded birth dates with one error each: ``transposed`` (day and month swapped),
    ``digit`` (one digit of day or month or the year's last digit wrong), ``year`` (off by
    one), ``jan1`` (estimated as 1 January of the birth year). An error that would make an
    impossible date leaves the date as it was."""
    ts = pd.DatetimeIndex(dob)
    year, month, day = ts.year.to_numpy(), ts.month.to_numpy(), ts.day.to_numpy()
    y2, m2, d2 = year.copy(), month.copy(), day.copy()
    t = kind == "transposed"
    m2[t], d2[t] = day[t], month[t]
    g = kind == "digit"
    which = (u * 3).astype(int)
    bump = np.where((u * 97 % 1) < 0.5, 1, -1)
    d2[g & (which == 0)] = day[g & (which == 0)] + bump[g & (which == 0)]
    dm = g & (which == 1)
    d2[dm] = (day[dm] // 10) * 10 + (day[dm] % 10 + 3) % 10
    yd = g & (which == 2)
    y2[yd] = (year[yd] // 10) * 10 + (year[yd] % 10 + bump[yd]) % 10
    yr = kind == "year"
    y2[yr] = year[yr] + bump[yr]
    j = kind == "jan1"
    m2[j], d2[j] = 1, 1
    ok, parsed = _valid(y2, m2, d2)
    return np.where(ok, parsed, dob)
