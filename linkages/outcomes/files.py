"""The input files of the outcome measures, as :class:`linkages.extracts.FileSpec`\\ s.

The foster care file is contracts.md §3 (one row per placement); the allegation file is
docs/data-files.md ``cws_allegations.csv``; the links file is contracts.md §2; the CWS children
file (optional, for S2's birth dates and demographics) is ``cws_children.csv``.

Beyond the per-cell checks the foster care file has rules across rows, because every measure
rests on episodes being well formed: all rows of an episode agree on the child and the episode
dates, a child has one birth date, episodes of a child do not overlap, placements lie inside
their episode. A row that breaks one is set aside with the reason (for an inconsistent episode,
every row of it: any choice between its rows would be a guess).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from linkages import codes
from linkages.extracts import (
    BLANKED,
    COUNTY,
    Column,
    ExtractResult,
    FileSpec,
    Rejection,
    read_extract,
    write_rejects,
)


def _in_future(values: pd.Series) -> pd.Series:
    return values > pd.Timestamp.today().normalize()


def _spread(codes_: np.ndarray, row_flags: np.ndarray, groups: int) -> np.ndarray:
    """Each row flagged when any row of its group is (codes_ < 0: no group)."""
    valid = codes_ >= 0
    any_in_group = np.bincount(codes_[valid], weights=row_flags[valid], minlength=groups) > 0
    out = np.zeros(len(codes_), dtype=bool)
    out[valid] = any_in_group[codes_[valid]]
    return out


def _differs_from_first(codes_: np.ndarray, values: pd.Series, groups: int) -> np.ndarray:
    """Rows of groups whose rows do not all hold the same value (blank counts as a value)."""
    if groups == 0:  # no row has a group (e.g. every episode_id blank)
        return np.zeros(len(codes_), dtype=bool)
    first = np.full(groups, -1, dtype="int64")
    valid = np.flatnonzero(codes_ >= 0)
    first[codes_[valid][::-1]] = valid[::-1]  # the first row of each group
    own = values.to_numpy()
    ref = own[first[np.clip(codes_, 0, None)]]
    own_na, ref_na = pd.isna(own), pd.isna(ref)
    with np.errstate(invalid="ignore"):
        same = (own_na & ref_na) | (~own_na & ~ref_na & (own == ref))
    return _spread(codes_, ~same & (codes_ >= 0), groups)


def _episode_rules(data: pd.DataFrame) -> list[tuple[pd.Series, str, str]]:
    idx = data.index
    out: list[tuple[pd.Series, str, str]] = []
    ep_start, ep_end = data["episode_start"], data["episode_end"]
    pl_start, pl_end = data["placement_start"], data["placement_end"]
    out.append((ep_end < ep_start, "episode_end", "episode ends before it starts"))
    out.append((pl_end < pl_start, "placement_end", "placement ends before it starts"))
    out.append((data["birth_dt"] > ep_start, "birth_dt", "child born after the episode starts"))
    out.append((pl_start < ep_start, "placement_start", "placement starts before its episode"))
    out.append((pl_start > ep_end, "placement_start", "placement starts after its episode ended"))

    episode = pd.factorize(data["episode_id"])[0]
    n_episodes = int(episode.max()) + 1 if len(episode) else 0
    for column in ("child_id", "episode_start", "episode_end"):
        differs = _differs_from_first(episode, data[column], n_episodes)
        out.append((pd.Series(differs, index=idx), column,
                    f"rows of this episode disagree on {column}"))
    child = pd.factorize(data["child_id"])[0]
    n_children = int(child.max()) + 1 if len(child) else 0
    out.append((pd.Series(_differs_from_first(child, data["birth_dt"], n_children), index=idx),
                "birth_dt", "rows of this child disagree on birth_dt"))
    reasons = data["termination_reason_cd"]
    given = np.where(reasons.notna().to_numpy(), episode, -1)
    term = _differs_from_first(given, reasons, n_episodes) & reasons.notna().to_numpy()
    out.append((pd.Series(term, index=idx), "termination_reason_cd",
                "rows of this episode disagree on termination_reason_cd"))

    # Overlapping episodes of one child would make "re-entry" meaningless: set the later aside.
    first_rows = np.unique(episode[episode >= 0], return_index=True)[1] if n_episodes else []
    eps = pd.DataFrame({"child": child[first_rows], "ep": episode[first_rows],
                        "start": ep_start.to_numpy()[first_rows],
                        "end": ep_end.to_numpy()[first_rows]})
    eps = eps[(eps["child"] >= 0) & eps["start"].notna()].sort_values(["child", "start", "ep"])
    reach = eps["end"].fillna(pd.Timestamp.max).groupby(eps["child"].to_numpy()).cummax()
    prior_reach = reach.groupby(eps["child"].to_numpy()).shift(1)
    overlap_eps = np.zeros(n_episodes + 1, dtype=bool)
    overlap_eps[eps.loc[(eps["start"] < prior_reach).to_numpy(), "ep"].to_numpy()] = True
    out.append((pd.Series(overlap_eps[episode], index=idx), "episode_start",
                "episode overlaps an earlier episode of the same child"))

    # Exact duplicates: candidates by row hash, confirmed on the candidates' values.
    contract = [c.name for c in FOSTER_CARE_FILE.columns]
    hashed = pd.util.hash_pandas_object(data[contract], index=False)
    candidates = hashed.duplicated(keep=False).to_numpy()
    duplicate = np.zeros(len(data), dtype=bool)
    if candidates.any():
        duplicate[candidates] = data.loc[candidates, contract].duplicated(keep="first").to_numpy()
    out.append((pd.Series(duplicate, index=idx), "episode_id", "duplicate of an earlier row"))
    # Only rules that found something: the reader reads the raw column of every one returned.
    return [(mask, column, reason) for mask, column, reason in out if mask.fillna(False).any()]


FOSTER_CARE_FILE = FileSpec(
    label="foster care",
    columns=(
        Column("child_id", required=True, nonblank=True),
        Column("birth_dt", required=True, nonblank=True, kind="date",
               check=(_in_future, "date of birth is in the future")),
        # Descriptive and optional: a bad code is blanked (the child counts under Missing);
        # the dates the measures are computed from reject the row.
        Column("sex", allowed=frozenset({"F", "M", "I", "U"}), on_bad=BLANKED),
        Column("ethnicity_cd"),
        Column("hispanic", allowed=frozenset({"Y", "N"}), on_bad=BLANKED),
        Column("episode_id", required=True, nonblank=True),
        Column("episode_start", required=True, nonblank=True, kind="date"),
        Column("episode_end", kind="date"),
        Column("termination_reason_cd"),
        Column("agency_cd", required=True, nonblank=True),
        Column("county_cd", required=True, nonblank=True, kind="int", check=COUNTY.check),
        Column("placement_start", required=True, nonblank=True, kind="date"),
        Column("placement_end", kind="date"),
        Column("facility_type_cd"),
        Column("caregiver_relationship_cd"),
        Column("placement_change_reason_cd"),
    ),
    row_rules=(_episode_rules,),
)
"""contracts.md §3: one row per placement."""


def _not_in_code_table(table: str, column: str) -> Callable[[pd.Series], pd.Series]:
    """A column check: the value is not one of ``column`` of the code table ``table``."""
    def check(values: pd.Series) -> pd.Series:
        return ~values.astype(str).isin(set(getattr(codes.tables(), table)[column]))
    return check


ALLEGATION_FILE = FileSpec(
    label="allegations",
    key=("allegation_id",),
    columns=(
        Column("allegation_id", required=True, nonblank=True),
        Column("referral_id", required=True, nonblank=True),
        Column("child_id", required=True, nonblank=True),
        Column("referral_received_dt", required=True, nonblank=True, kind="date"),
        Column("county_cd", required=True, nonblank=True, kind="int", check=COUNTY.check),
        Column("allegation_type", required=True, nonblank=True,
               check=(_not_in_code_table("allegation_types", "allegation_type"),
                      "not an allegation type of the code table")),
        Column("disposition",
               allowed=frozenset({"substantiated", "inconclusive", "unfounded"})),
        Column("disposition_dt", kind="date"),
        Column("incident_dt", kind="date"),
        Column("perpetrator_role",
               allowed=frozenset({"parent", "substitute_care_provider", "relative", "other"})),
        Column("reporter_type"),
    ),
)
"""docs/data-files.md ``cws_allegations.csv``: one row per allegation per child."""


CWS_CHILDREN_FILE = FileSpec(
    label="CWS children",
    key=("record_id",),
    columns=(
        Column("record_id", required=True, nonblank=True),
        Column("dob", kind="date", check=(_in_future, "date of birth is in the future"),
               on_bad=BLANKED),
        Column("sex", allowed=frozenset({"F", "M", "I", "U"}), on_bad=BLANKED),
        Column("ethnicity_cd"),
        Column("hispanic", allowed=frozenset({"Y", "N"}), on_bad=BLANKED),
    ),
)
"""docs/data-files.md ``cws_children.csv`` (only the columns the measures use; a person file,
so a bad value is blanked and the child kept)."""


def read_input(path: str | Path, spec: FileSpec, rejects_dir: str | Path | None = None,
               cache_dir: str | Path | None = None) -> tuple[ExtractResult, Path | None]:
    """Read one input file; its rejects, if any, go to ``<stem>.rejects.csv`` in
    ``rejects_dir``, or beside the file itself. Returns the result and where the rejects went.

    ``cache_dir``: keep the validated rows as Parquet there (with the read count and the
    rejections beside them) and, while the source file has the same size and modification time
    and the spec the same columns, read that copy instead of validating the file again.

    The rows keep only the columns the measures read (:data:`MEASURE_COLUMNS`; every column
    of the spec is validated all the same): a person file's names, SSN and address are never
    copied into the cache (nor read back from it), and ids that only had to be unique
    (allegation_id, contact_id, visit_id) are not carried through a statewide run.
    """
    result = (_cached_read(Path(path), spec, Path(cache_dir)) if cache_dir is not None
              else _spec_columns(read_extract(path, spec), spec))
    directory = Path(rejects_dir) if rejects_dir is not None else Path(path).parent
    return result, write_rejects(result.rejections, directory / f"{Path(path).stem}.rejects.csv")


_CACHE_LAYOUT = 3  # 2: the spec's columns only; 3: MEASURE_COLUMNS


def _spec_columns(result: ExtractResult, spec: FileSpec) -> ExtractResult:
    """The result with only the columns the measures read (in the file's order)."""
    wanted = set(MEASURE_COLUMNS.get(spec.label, (c.name for c in spec.columns)))
    kept = [c for c in result.data.columns if c in wanted]
    if len(kept) < len(result.data.columns):
        result.data = result.data[kept]
    return result


def _cache_key(path: Path, spec: FileSpec) -> str:
    stat = path.stat()
    described = repr([(c.name, c.required, c.nonblank, c.kind, sorted(c.allowed or ()),
                       c.on_bad, c.check[1] if c.check else None) for c in spec.columns])
    text = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{spec.label}|{spec.key}|" \
           f"{described}|{len(spec.row_rules)}|{_CACHE_LAYOUT}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _cached_read(path: Path, spec: FileSpec, cache_dir: Path) -> ExtractResult:
    if not path.exists():
        return read_extract(path, spec)  # its own clear message
    key = _cache_key(path, spec)
    data_file = cache_dir / f"{path.stem}.{key}.parquet"
    meta_file = cache_dir / f"{path.stem}.{key}.json"
    if data_file.exists() and meta_file.exists():
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        return ExtractResult(path=path, data=pd.read_parquet(data_file),
                             rejections=[Rejection(**r) for r in meta["rejections"]],
                             read=int(meta["read"]))
    result = _spec_columns(read_extract(path, spec), spec)
    cache_dir.mkdir(parents=True, exist_ok=True)
    result.data.to_parquet(data_file)
    meta_file.write_text(json.dumps({"read": result.read, "rejections": [
        dataclasses.asdict(r) for r in result.rejections]}), encoding="utf-8")
    return result


def matched_children(links: pd.DataFrame) -> np.ndarray:
    """CWS child ids named as right_id by a ``match`` row (review rows are not matches)."""
    decided = links["decision"].astype(str).str.strip().str.lower() == "match"
    return links.loc[decided, "right_id"].astype(str).str.strip().unique()


# --- the inputs of 2B/2D, 2F, 4A and the participation rates (docs/data-files.md) -------------

_TIME = r"^([01]?\d|2[0-3]):[0-5]\d(:[0-5]\d)?$"


def _not_a_time(values: pd.Series) -> pd.Series:
    return ~values.astype("string").fillna("").str.match(_TIME)


_TIME_CHECK = (_not_a_time, "not a time in HH:MM form")


RESPONSE_TYPES = frozenset({"immediate", "3_day", "5_day", "10_day", "evaluate_out"})
CONTACT_METHODS = frozenset({"in_person", "phone", "written", "other"})
CONTACT_STATUSES = frozenset({"completed", "attempted", "scheduled"})
YES_NO = frozenset({"Y", "N"})

REFERRAL_FILE = FileSpec(
    label="referrals",
    key=("referral_id",),
    columns=(
        Column("referral_id", required=True, nonblank=True),
        Column("county_cd", required=True, nonblank=True, kind="int", check=COUNTY.check),
        Column("received_dt", required=True, nonblank=True, kind="date"),
        Column("received_time", required=True, nonblank=True,
               check=_TIME_CHECK),
        Column("response_type", required=True, nonblank=True, allowed=RESPONSE_TYPES),
    ),
)
"""docs/data-files.md ``cws_referrals.csv``: one row per referral (2B, 2D)."""

CONTACT_FILE = FileSpec(
    label="contacts",
    key=("contact_id",),
    columns=(
        Column("contact_id", required=True, nonblank=True),
        Column("referral_id", required=True, nonblank=True),
        Column("child_id", required=True, nonblank=True),
        Column("contact_dt", required=True, nonblank=True, kind="date"),
        Column("contact_time", required=True, nonblank=True,
               check=_TIME_CHECK),
        Column("service_type", required=True),
        Column("method", required=True, allowed=CONTACT_METHODS),
        Column("status", required=True, allowed=CONTACT_STATUSES),
        Column("staff", required=True, allowed=YES_NO),
        Column("party", allowed=frozenset({"child", "other"})),
    ),
)
"""docs/data-files.md ``cws_contacts.csv``: one row per contact of a child on a referral."""

VISIT_FILE = FileSpec(
    label="visits",
    key=("visit_id",),
    columns=(
        Column("visit_id", required=True, nonblank=True),
        Column("child_id", required=True, nonblank=True),
        Column("visit_dt", required=True, nonblank=True, kind="date"),
        Column("method", required=True, allowed=CONTACT_METHODS),
        Column("status", required=True, allowed=CONTACT_STATUSES),
        Column("location", allowed=frozenset({"placement", "office", "school", "other"})),
    ),
)
"""docs/data-files.md ``cws_visits.csv``: one row per caseworker contact with a child in
placement (2F)."""


def _sibling_rules(data: pd.DataFrame) -> list[tuple[pd.Series, str, str]]:
    a = data["child_id"].astype("string").str.strip()
    b = data["sibling_id"].astype("string").str.strip()
    self_pair = (a == b).fillna(False)
    low, high = a.where(a <= b, b), b.where(a <= b, a)
    pair = pd.DataFrame({"low": low, "high": high})
    duplicate = pair.duplicated(keep="first") & pair.notna().all(axis=1)
    return [(self_pair, "sibling_id", "a child is not her own sibling"),
            (duplicate & ~self_pair, "sibling_id",
             "duplicate of an earlier row (the same two children, either way round)")]


SIBLING_FILE = FileSpec(
    label="siblings",
    columns=(
        Column("child_id", required=True, nonblank=True),
        Column("sibling_id", required=True, nonblank=True),
        Column("relationship", allowed=frozenset({"whole", "half", "step"}), on_bad=BLANKED),
    ),
    row_rules=(_sibling_rules,),
)
"""docs/data-files.md ``cws_siblings.csv``: one row per pair of sibling CWS children (4A)."""

PLACEMENT_HOME_FILE = FileSpec(
    label="placement homes",
    key=("episode_id", "placement_start"),
    columns=(
        Column("episode_id", required=True, nonblank=True),
        Column("placement_start", required=True, nonblank=True, kind="date"),
        Column("placement_home_id", required=True, nonblank=True),
    ),
)
"""docs/data-files.md ``cws_placement_homes.csv``: the home of each placement of the foster care
file, identified by (episode_id, placement_start) (4A)."""


POPULATION_ETHNIC_GROUPS = frozenset({"Black", "White", "Latino", "Asian/PI",
                                      "Native American", "Multi-Race"})

POPULATION_FILE = FileSpec(
    label="population",
    key=("year", "county_cd", "age_group", "ethnic_group"),
    columns=(
        Column("year", required=True, nonblank=True, kind="int"),
        Column("county_cd", required=True, nonblank=True, kind="int", check=COUNTY.check),
        Column("age_group", required=True, nonblank=True,
               check=(_not_in_code_table("age_groups", "age_group"),
                      "not an age group of config/codes/age_groups.csv")),
        Column("ethnic_group", required=True, nonblank=True, allowed=POPULATION_ETHNIC_GROUPS),
        Column("population", required=True, nonblank=True, kind="int",
               check=(lambda v: v < 0, "a negative count")),
        Column("source"),
    ),
)
"""docs/data-files.md ``population.csv``: children by year, county, age group and ethnic group
(the denominators of the participation rates)."""

MEASURE_INPUTS: dict[str, tuple[str, str, FileSpec]] = {
    "referrals": ("--referrals", "cws_referrals.csv", REFERRAL_FILE),
    "contacts": ("--contacts", "cws_contacts.csv", CONTACT_FILE),
    "visits": ("--visits", "cws_visits.csv", VISIT_FILE),
    "siblings": ("--siblings", "cws_siblings.csv", SIBLING_FILE),
    "homes": ("--placement-homes", "cws_placement_homes.csv", PLACEMENT_HOME_FILE),
    "population": ("--population", "population.csv", POPULATION_FILE),
}
"""The inputs of the measures of :mod:`.ccwip` beyond the foster care, allegation and CWS
children files, by their ``Inputs.files`` name: (command-line option, the file ``linkages
synth`` writes, its spec)."""

FILE_OPTIONS = {"allegations": "--allegations (cws_allegations.csv)",
                **{name: f"{option} ({file})" for name, (option, file, _) in
                   MEASURE_INPUTS.items()}}
"""Input name -> the command-line option that gives it (for the messages)."""


MEASURE_COLUMNS: dict[str, tuple[str, ...]] = {
    ALLEGATION_FILE.label: ("referral_id", "child_id", "referral_received_dt", "county_cd",
                            "disposition", "incident_dt"),
    CONTACT_FILE.label: ("referral_id", "child_id", "contact_dt", "contact_time",
                         "service_type", "method", "status", "staff", "party"),
    VISIT_FILE.label: ("child_id", "visit_dt", "method", "status", "location"),
    SIBLING_FILE.label: ("child_id", "sibling_id"),
    POPULATION_FILE.label: ("year", "county_cd", "age_group", "ethnic_group", "population"),
}
"""The columns of an input file that the measures read, by the spec's label (a file not named
here: every column of its spec). :func:`read_input` keeps only these; a measure that comes to
read another column adds it here."""
