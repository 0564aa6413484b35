"""Matcher settings: blocking passes, estimation and decision thresholds, read from YAML."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from matching.score import MATCH_RULES

BLOCKING_KEYS = frozenset({
    "ssn", "dob", "dob_unordered", "birth_year", "birth_monthday", "birth_yearmonth",
    "first_phonetic", "first_name",
    "surname_phonetic", "surname_token", "surname_initial", "parent_phonetic",
    "parent_first_phonetic", "zip", "county", "ssn_first5", "ssn_last4",
    "name_phonetic", "name_initial", "address", "house_number", "first_initial",
    "middle_initial",
})


@dataclass(frozen=True)
class BlockingPass:
    name: str
    keys: tuple[str, ...]
    only_if_missing: str | None = None
    max_pairs_per_record: float | None = None
    """A loose pass (one field alone) is used only while it makes at most this many pairs per
    record: in a small file its blocks are small and it reaches the records corrupted in
    every other key; in a large one it would make billions of pairs and is skipped whole."""
    max_block: int | None = None
    """This pass skips a key shared by more records than this (the settings' ``max_block``
    when None): a pass on a rare value only (a full name, a name in one zip code) stays small
    however large the files, and a value many records share is weak evidence anyway."""


@dataclass(frozen=True)
class MatchSettings:
    nicknames_path: Path | None = None
    passes: tuple[BlockingPass, ...] = ()
    max_block: int = 2000
    random_pairs: int = 500_000
    max_iterations: int = 200
    tolerance: float = 1e-6
    seed: int = 42
    tf_minimum: float = 2e-6
    tf_fields: tuple[str, ...] = ("first_name", "last_name", "parent_first_name",
                                  "parent_last_name")
    match_probability: float | None = None
    """None: chosen from the probabilities (:func:`matching.score.match_threshold`)."""
    match_rule: str = "balanced"
    """How ``auto`` chooses it: ``balanced`` or ``expected_f1``."""
    review_probability: float = 0.05
    match_precision: float | None = None
    sibling_guard: bool = True
    min_person_weight: float = 2.0
    households: bool = True
    """Whether the files may hold families: measured by each run, never read from the YAML
    (:func:`matching.pipeline.family_guard`)."""
    one_to_one: bool = False
    coherence_probability: float = 0.01
    max_cluster_size: int = 12
    source: str = field(default="defaults", compare=False)

    @classmethod
    def from_yaml(cls, path: str | Path) -> MatchSettings:
        path = Path(path)
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ValueError(f"{path}: cannot read the matching settings ({exc})") from exc
        return cls.from_dict(raw, base=path.parent, source=str(path))

    @classmethod
    def from_dict(cls, raw: dict[str, Any], base: Path | None = None,
                  source: str = "dict") -> MatchSettings:
        base = base or Path.cwd()
        blocking = raw.get("blocking", {}) or {}
        passes = []
        for p in blocking.get("passes", []) or []:
            keys = tuple(p["keys"])
            unknown = [k for k in keys if k not in BLOCKING_KEYS]
            if unknown:
                raise ValueError(f"{source}: blocking pass {p.get('name')!r} uses unknown "
                                 f"key(s) {', '.join(unknown)}; known: "
                                 f"{', '.join(sorted(BLOCKING_KEYS))}")
            budget = p.get("max_pairs_per_record")
            limit = p.get("max_block")
            passes.append(BlockingPass(str(p.get("name", "+".join(keys))), keys,
                                       p.get("only_if_missing"),
                                       None if budget is None else float(budget),
                                       None if limit is None else int(limit)))
        est = raw.get("estimate", {}) or {}
        thr = raw.get("thresholds", {}) or {}
        res = raw.get("resolve", {}) or {}
        nick = raw.get("nicknames")
        settings = cls(
            nicknames_path=(base / nick) if nick else None,
            passes=tuple(passes) or DEFAULT_PASSES,
            max_block=int(blocking.get("max_block", 2000)),
            random_pairs=int(est.get("random_pairs", 500_000)),
            max_iterations=int(est.get("max_iterations", 200)),
            tolerance=float(est.get("tolerance", 1e-6)),
            seed=int(est.get("seed", 42)),
            tf_minimum=float(est.get("tf_minimum", 2e-6)),
            tf_fields=tuple(est.get("tf_fields", cls.tf_fields)),
            match_probability=_threshold(thr.get("match_probability", "auto"), source),
            match_rule=str(thr.get("match_rule", "balanced")),
            review_probability=float(thr.get("review_probability", 0.05)),
            match_precision=(None if thr.get("match_precision") is None
                             else float(thr["match_precision"])),
            sibling_guard=bool(thr.get("sibling_guard", True)),
            min_person_weight=float(thr.get("min_person_weight", 2.0)),
            one_to_one=bool(res.get("one_to_one", False)),
            coherence_probability=float(res.get("coherence_probability", 0.01)),
            max_cluster_size=int(res.get("max_cluster_size", 12)),
            source=source,
        )
        if settings.match_rule not in MATCH_RULES:
            raise ValueError(f"{source}: thresholds.match_rule must be one of "
                             f"{', '.join(MATCH_RULES)}, not {settings.match_rule!r}")
        match_at = settings.match_probability
        if not 0 < settings.review_probability < 1 or (
                match_at is not None and not settings.review_probability <= match_at < 1):
            raise ValueError(f"{source}: thresholds must satisfy 0 < review_probability <= "
                             "match_probability < 1")
        return settings

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["nicknames_path"] = str(self.nicknames_path) if self.nicknames_path else None
        out["passes"] = [{"name": p.name, "keys": list(p.keys),
                          "only_if_missing": p.only_if_missing,
                          "max_pairs_per_record": p.max_pairs_per_record,
                          "max_block": p.max_block}
                         for p in self.passes]
        out["tf_fields"] = list(self.tf_fields)
        return out


def _threshold(value: Any, source: str) -> float | None:
    """``auto`` (or null) lets the run choose the match threshold; else a probability."""
    if value is None or (isinstance(value, str) and value.strip().lower() == "auto"):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{source}: thresholds.match_probability must be a probability or "
                         f"auto, not {value!r}") from None


SMALL_FILE_PAIRS = 6.0

DEFAULT_PASSES: tuple[BlockingPass, ...] = (
    # The passes of config/matching.yaml (which says why each is there).
    BlockingPass("ssn", ("ssn",)),
    BlockingPass("dob_transposed_name", ("dob_unordered", "name_phonetic")),
    BlockingPass("yearmonth_first_surname", ("birth_yearmonth", "first_phonetic",
                                             "surname_token")),
    BlockingPass("monthday_first_surname", ("birth_monthday", "first_phonetic",
                                            "surname_phonetic")),
    BlockingPass("parent_dob", ("parent_first_phonetic", "dob", "surname_initial")),
    BlockingPass("year_first_parent", ("birth_year", "first_phonetic", "parent_first_phonetic",
                                       "surname_initial")),
    BlockingPass("address_name", ("address", "name_initial")),
    BlockingPass("dob_zip", ("dob", "zip")),
    BlockingPass("zip_house_number", ("zip", "house_number")),
    BlockingPass("surname_parent_no_dob", ("surname_token", "parent_phonetic"),
                 only_if_missing="dob"),
    BlockingPass("names_county_no_dob", ("county", "first_phonetic", "surname_token"),
                 only_if_missing="dob"),
    BlockingPass("names_no_dob", ("first_phonetic", "surname_token"), only_if_missing="dob",
                 max_pairs_per_record=1.0),
    BlockingPass("names_middle_initial", ("first_phonetic", "surname_token", "middle_initial"),
                 max_pairs_per_record=2.0),
    *(BlockingPass(f"small_file_{name}", (key,), max_pairs_per_record=SMALL_FILE_PAIRS)
      for name, key in (("dob", "dob"), ("surname", "surname_token"),
                        ("first", "first_phonetic"))),
)
