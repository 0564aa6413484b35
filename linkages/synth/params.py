"""The generation parameters (``config/synth/synth.yaml``) and name tables, read once."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from linkages.config import config_dir


@dataclass(frozen=True)
class Choice:
    """A categorical distribution: values and their probabilities (normalised)."""

    values: np.ndarray
    p: np.ndarray

    @classmethod
    def of(cls, mapping: dict[Any, float]) -> Choice:
        values = np.array([str(k) for k in mapping], dtype=object)
        weights = np.array([float(v) for v in mapping.values()], dtype=float)
        return cls(values, weights / weights.sum())

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.values[rng.choice(len(self.values), size=n, p=self.p)]


@dataclass(frozen=True)
class SynthParams:
    raw: dict[str, Any]
    surnames: pd.DataFrame
    first_names: pd.DataFrame
    nicknames: pd.DataFrame
    phonetic: pd.DataFrame
    county_rates: pd.DataFrame
    streets: pd.DataFrame

    def __getitem__(self, key: str) -> Any:
        return self.raw[key]

    def date(self, section: str, key: str) -> np.datetime64:
        return np.datetime64(str(self.raw[section][key]), "D")


def _csv(directory: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(directory / name, dtype=str, keep_default_na=False)


@cache
def load(directory: str | None = None) -> SynthParams:
    base = Path(directory) if directory else config_dir() / "synth"
    with open(base / "synth.yaml", encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    surnames = _csv(base, "surnames.csv").astype({"weight": float})
    first_names = _csv(base, "first_names.csv").astype({"weight": float})
    county_rates = _csv(base, "county_rates.csv")
    county_rates["county_cd"] = county_rates["county_cd"].astype(int)
    county_rates = county_rates.astype({"calworks_factor": float, "cws_factor": float})
    return SynthParams(
        raw=raw,
        surnames=surnames,
        first_names=first_names,
        nicknames=_csv(base, "nicknames.csv"),
        phonetic=_csv(base, "phonetic_variants.csv"),
        county_rates=county_rates,
        streets=_csv(base, "streets.csv").astype({"weight": float}),
    )
