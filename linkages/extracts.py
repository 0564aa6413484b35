"""Reading county extract files the way ``../shared/docs/contracts.md`` says.

One reader for every command (match, outcomes, ingest): UTF-8 CSV with or without a BOM, or
Parquet; column names matched case-insensitively; extra columns kept; dates ``YYYY-MM-DD``;
a blank cell is missing. A missing required column or an unreadable file raises
:class:`ExtractError` (the CLI exits 2 with one message naming the file and the column).

Every problem is one :class:`Rejection` (source line, column, reason, value, action taken).
A row is set aside (action ``rejected``) only when it cannot be used: a blank or duplicate id,
a row the CSV parser cannot split into the header's fields, or a bad value in a column whose
spec says so (the foster care file's required dates). A bad value in an optional column whose
spec says ``on_bad="blank"`` (a person file's date of birth, sex, SSN, county, zip) is set to
missing and the row kept (action ``blanked``). The counts reconcile:
``read == accepted + rejected``, and ``blanked`` counts the values set to missing.
"""

from __future__ import annotations

import csv
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import click
import numpy as np
import pandas as pd

DATE_FORMAT = "%Y-%m-%d"
REJECTED = "rejected"
BLANKED = "blanked"


class ExtractError(click.ClickException):
    """A file cannot be used at all (unreadable, or a required column is missing)."""

    exit_code = 2

    def format_message(self) -> str:
        return self.message


@dataclass(frozen=True)
class Column:
    """One column of an extract file.

    ``required``: the column must be in the header. ``nonblank``: each row must have a value.
    ``kind``: ``str``, ``date``, ``int`` or ``float``; a value that does not parse is a bad
    row. ``allowed``: the only values accepted (compared upper-case, after trimming).
    ``check``: a vectorised rule over the parsed column returning a mask of bad rows, and the
    reason to give for them. ``clean``: applied to the trimmed text before any rule (forms a
    county analyst calls valid put into the one the rules expect: ZIP+4 to 5 digits). Both
    judge each value on its own (the reader runs a text column's once per distinct value).
    ``on_bad``: what a bad value does, ``rejected`` (the row is set aside) or ``blanked``
    (the value is set to missing and the row kept).
    """

    name: str
    required: bool = False
    nonblank: bool = False
    kind: str = "str"
    allowed: frozenset[str] | None = None
    check: tuple[Callable[[pd.Series], pd.Series], str] | None = None
    clean: Callable[[pd.Series], pd.Series] | None = None
    on_bad: str = REJECTED


RowRule = Callable[[pd.DataFrame], list[tuple[pd.Series, str, str]]]
"""A rule across columns: returns (bad-row mask, column, reason) triples."""


@dataclass(frozen=True)
class FileSpec:
    label: str
    columns: Sequence[Column]
    key: Sequence[str] = ()
    row_rules: Sequence[RowRule] = ()

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


@dataclass(frozen=True)
class Rejection:
    """One problem of one row: what was wrong and what was done (``action``)."""

    file: str
    line: int
    column: str
    reason: str
    value: str = ""
    action: str = REJECTED


@dataclass
class ExtractResult:
    """The accepted rows (typed, indexed by source line) and what was set aside."""

    path: Path
    data: pd.DataFrame
    rejections: list[Rejection] = field(default_factory=list)
    read: int = 0

    @property
    def rejected(self) -> int:
        return len({r.line for r in self.rejections if r.action == REJECTED})

    @property
    def blanked(self) -> int:
        """Values set to missing in rows that were kept."""
        return sum(r.action == BLANKED for r in self.rejections)

    @property
    def accepted(self) -> int:
        return len(self.data)

    def summary(self) -> str:
        blanked = f"; {blanked_values(self.blanked)}" if self.blanked else ""
        return (
            f"{self.path.name}: read {self.read:,} = accepted {self.accepted:,}"
            f" + rejected {self.rejected:,}{blanked}"
        )


_BAD_LINE = re.compile(r"Skipping line (\d+): (expected \d+ fields?, saw \d+)")


@dataclass
class _Raw:
    frame: pd.DataFrame
    is_parquet: bool
    bad_lines: list[tuple[int, str]] = field(default_factory=list)
    """CSV lines that could not be split into the header's fields: (line, what was wrong)."""


def blanked_values(count: int) -> str:
    return f"{count:,} value{'' if count == 1 else 's'} blanked"


def _read_raw(path: Path) -> _Raw:
    """The file as strings, blank cells (and fields missing at the end of a short row) as
    empty strings; the lines the CSV parser could not use."""
    if not path.exists():
        raise ExtractError(f"{path}: file not found")
    try:
        if path.suffix.lower() in {".parquet", ".pq"}:
            typed = pd.read_parquet(path)
            frame = typed.astype("string").fillna("")
            for col in frame.columns:
                # Parquet dates come back as "2021-01-01 00:00:00" strings; keep the date.
                if pd.api.types.is_datetime64_any_dtype(typed[col]):
                    frame[col] = frame[col].str.slice(0, 10)
            return _Raw(frame.astype(object), True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            frame = pd.read_csv(
                path,
                dtype=str,
                keep_default_na=False,
                na_values=[],
                encoding="utf-8-sig",
                skipinitialspace=False,
                quoting=csv.QUOTE_MINIMAL,
                # A line with more fields than the header is skipped (and reported), never
                # read as an index; a blank line is a row (of blanks), so that every row's
                # line number is its line in the file.
                on_bad_lines="warn",
                index_col=False,
                skip_blank_lines=False,
            )
        bad = [(int(line), what) for w in caught
               for line, what in _BAD_LINE.findall(str(w.message))]
        # Only a short row leaves missing cells: the whole frame is copied only then.
        if frame.isna().to_numpy().any():
            frame = frame.fillna("")
        return _Raw(frame, False, sorted(bad))
    except ExtractError:
        raise
    except UnicodeDecodeError as exc:
        raise ExtractError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except pd.errors.EmptyDataError as exc:
        raise ExtractError(f"{path}: the file is empty (no header row)") from exc
    except Exception as exc:  # pandas/pyarrow raise many types for a damaged file
        raise ExtractError(f"{path}: cannot be read ({exc})") from exc


PER_DISTINCT_SAMPLE = 10_000


def per_distinct(series: pd.Series, rule: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """``rule(series)`` for a rule that judges each value on its own, run once per distinct
    value: a statewide column of 2 million rows holds a few thousand zips or dates, and
    pandas' string methods cost a Python call per row."""
    values = series.to_numpy(dtype=object)
    # A column nearly all distinct (SSNs, ids) is judged as it is: a sample tells, before
    # the cost of sorting out its distinct values.
    sample = values[:: max(len(values) // PER_DISTINCT_SAMPLE, 1)]
    if len(sample) >= PER_DISTINCT_SAMPLE and len(pd.unique(sample)) > 0.9 * len(sample):
        return rule(series)
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    if len(uniques) > len(values) // 2:  # mostly distinct (ids): nothing to share
        return rule(series)
    once = rule(pd.Series(uniques, dtype=object)).to_numpy()
    return pd.Series(once[codes], index=series.index, dtype=once.dtype)


def _strip(series: pd.Series) -> pd.Series:
    return series.astype(str).str.strip()


def _source_lines(rows: int, is_parquet: bool, bad_lines: list[tuple[int, str]]) -> np.ndarray:
    """Source line of each row read: the header is line 1 of a CSV (Parquet rows count from
    1), and lines the parser skipped take no row."""
    first = 1 if is_parquet else 2
    candidates = np.arange(first, first + rows + len(bad_lines), dtype=np.int64)
    skipped = np.array([line for line, _ in bad_lines], dtype=np.int64)
    return np.setdiff1d(candidates, skipped, assume_unique=True)[:rows]


@dataclass
class _Problem:
    mask: np.ndarray
    column: str
    reason: str | None  # None: the reason is per row, in ``values`` (the key rule)
    values: np.ndarray
    action: str = REJECTED


def _missing_like(series: pd.Series) -> object:
    if pd.api.types.is_datetime64_any_dtype(series):
        return pd.NaT
    if pd.api.types.is_numeric_dtype(series):
        return np.nan
    return None


def read_extract(path: str | Path, spec: FileSpec) -> ExtractResult:
    """Read and validate one extract file against ``spec``."""
    path = Path(path)
    source = _read_raw(path)
    raw, is_parquet = source.frame, source.is_parquet
    by_lower: dict[str, object] = {}
    for c in raw.columns:
        by_lower.setdefault(str(c).strip().lower(), c)
    missing = [c.name for c in spec.columns if c.required and c.name not in by_lower]
    if missing:
        names = ", ".join(missing)
        plural = "columns" if len(missing) > 1 else "column"
        raise ExtractError(
            f"{path}: required {plural} {names} missing from the header "
            f"(the {spec.label} file needs {names})"
        )
    # Two header cells that differ only in case or spaces: the first is the column.
    raw = raw.loc[:, list(by_lower.values())]
    raw.columns = list(by_lower)
    raw.index = pd.Index(_source_lines(len(raw), is_parquet, source.bad_lines))
    for col in spec.columns:
        if col.name not in raw.columns:
            raw[col.name] = ""
    data = raw.copy()
    stripped: dict[str, pd.Series] = {}

    def text_of(column: str) -> pd.Series:
        """The trimmed column, computed once whatever the number of rules that read it."""
        if column not in stripped:
            stripped[column] = _strip(raw[column])
        return stripped[column]

    problems: list[_Problem] = []

    for col in spec.columns:
        text = text_of(col.name)
        original = text
        if col.clean is not None:
            text = per_distinct(text, col.clean)
        blank = text == ""
        found: list[tuple[pd.Series | np.ndarray, str]] = []
        if col.nonblank:
            problems.append(_Problem(blank.to_numpy(), col.name, "required value is blank",
                                     original.to_numpy()))
        parsed: pd.Series
        if col.kind == "date":
            parsed = pd.to_datetime(text.where(~blank, None), format=DATE_FORMAT, errors="coerce")
            found.append((~blank & parsed.isna(), "not a date in YYYY-MM-DD form"))
        elif col.kind in {"int", "float"}:
            parsed = pd.to_numeric(text.where(~blank, None), errors="coerce")
            invalid = ~blank & parsed.isna()
            if col.kind == "int":
                invalid |= ~blank & parsed.notna() & (parsed % 1 != 0)
            what = "an integer" if col.kind == "int" else "a number"
            found.append((invalid, f"not {what}"))
        else:
            parsed = text.where(~blank, None).astype(object)
        if col.allowed is not None:
            upper = per_distinct(text, lambda t: t.str.upper())
            outside = ~blank & ~upper.isin({a.upper() for a in col.allowed})
            allowed = ", ".join(sorted(col.allowed))
            found.append((outside, f"not one of {allowed}"))
        data[col.name] = parsed
        if col.check is not None:
            rule, reason = col.check
            judged = per_distinct(parsed, rule) if parsed.dtype == object else rule(parsed)
            found.append((judged.fillna(False).to_numpy(bool) & ~blank.to_numpy(), reason))
        already = np.zeros(len(raw), dtype=bool)
        for mask, reason in found:
            # One problem per value: a date that is not a date is not also "in the future".
            mask = np.asarray(mask, dtype=bool) & ~already
            already |= mask
            problems.append(_Problem(mask, col.name, reason, original.to_numpy(), col.on_bad))

    for rule in spec.row_rules:
        for mask, column, reason in rule(data):
            values = text_of(column) if column in raw else raw.iloc[:, 0]
            problems.append(_Problem(mask.fillna(False).to_numpy(bool), column, reason,
                                     values.to_numpy()))

    if spec.key:
        keys = [text_of(k) for k in spec.key]
        key_frame = pd.concat(keys, axis=1)
        dup = key_frame.duplicated(keep="first") & (key_frame != "").all(axis=1)
        if dup.any():
            first_line = (
                key_frame.reset_index()
                .groupby(list(key_frame.columns))["index"]
                .transform("min")
                .set_axis(key_frame.index)
            )
            label = "+".join(spec.key)
            reasons = "duplicate " + label + " (first on line " + first_line.astype(str) + ")"
            problems.append(_Problem(dup.to_numpy(), spec.key[0], None,
                                     reasons.where(dup, "").to_numpy()))

    lines = raw.index.to_numpy()
    rejected_mask = np.zeros(len(raw), dtype=bool)
    for problem in problems:
        if problem.action == REJECTED:
            rejected_mask |= problem.mask
    rejections = [Rejection(path.name, line, "", f"cannot be parsed: {what}", "", REJECTED)
                  for line, what in source.bad_lines]
    for problem in problems:
        if not problem.mask.any():
            continue
        if problem.action == BLANKED:
            keep = problem.mask & ~rejected_mask
            if keep.any():
                column = data[problem.column]
                data.loc[keep, problem.column] = _missing_like(column)
        for i in np.flatnonzero(problem.mask):
            # A problem of a row set aside for another reason is reported as rejected.
            action = REJECTED if rejected_mask[i] else problem.action
            if problem.reason is not None:
                rejections.append(Rejection(path.name, int(lines[i]), problem.column,
                                            problem.reason, str(problem.values[i]), action))
            else:  # the key rule carries its reason per row
                rejections.append(Rejection(path.name, int(lines[i]), problem.column,
                                            str(problem.values[i]),
                                            str(raw[problem.column].iloc[i]).strip(), action))
    rejections.sort(key=lambda r: (r.line, r.column))
    accepted = data.loc[~rejected_mask]
    for col in spec.columns:
        if col.kind == "int" and pd.api.types.is_float_dtype(accepted[col.name]):
            # Integral once the bad values are out: nullable integers, as the spec says.
            accepted = accepted.assign(**{col.name: accepted[col.name].astype("Int64")})
    return ExtractResult(
        path=path, data=accepted, rejections=rejections,
        read=len(raw) + len(source.bad_lines),
    )


def rejects_frame(rejections: Sequence[Rejection]) -> pd.DataFrame:
    return pd.DataFrame(
        [(r.file, r.line, r.column, r.reason, r.value, r.action) for r in rejections],
        columns=["file", "line", "column", "reason", "value", "action"],
    )


def write_rejects(rejections: Sequence[Rejection], path: str | Path) -> Path | None:
    """Write the rejects file when something was rejected (the command's summary line says
    when nothing was: no empty files are strewn about); returns where, or None."""
    if not rejections:
        return None
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rejects_frame(rejections).to_csv(path, index=False)
    return path


def rejects_path(output: str | Path, source: str | Path) -> Path:
    """Where the rejects of ``source`` go: next to the command's output."""
    return Path(output).parent / f"{Path(source).stem}.rejects.csv"


# --- specs shared by several commands ---------------------------------------------------------

SEX_CODES = frozenset({"F", "M", "I", "U"})


def _county_ok(values: pd.Series) -> pd.Series:
    return ~values.between(1, 58)


def _ssn_digits(text: pd.Series) -> pd.Series:
    """An SSN with its dashes and spaces taken out (123-45-6789, 123 45 6789)."""
    return text.str.replace(r"[\s-]", "", regex=True)


def _ssn_shape(values: pd.Series) -> pd.Series:
    return ~values.astype(str).str.fullmatch(r"\d{9}")


def _zip5(text: pd.Series) -> pd.Series:
    """ZIP+4, with or without its dash (90001-1234, 900011234), is the zip 90001."""
    return text.str.replace(r"^(\d{5})(?:-?\d{4})$", r"\1", regex=True)


def _zip_shape(values: pd.Series) -> pd.Series:
    return ~values.astype(str).str.fullmatch(r"\d{5}")


def _not_future(values: pd.Series) -> pd.Series:
    return values > pd.Timestamp.today().normalize()


COUNTY = Column("county_cd", kind="int", check=(_county_ok, "not a California county code 1-58"))

PERSON_FILE = FileSpec(
    label="person records",
    key=("record_id",),
    columns=(
        Column("record_id", required=True, nonblank=True),
        Column("first_name", required=True),
        Column("middle_name"),
        Column("last_name", required=True),
        # contracts.md conventions: a bad optional value is blanked, the child kept and
        # matched on the other fields.
        Column("dob", kind="date", check=(_not_future, "date of birth is in the future"),
               on_bad=BLANKED),
        Column("sex", allowed=SEX_CODES, on_bad=BLANKED),
        Column("ssn", clean=_ssn_digits, check=(_ssn_shape, "not 9 digits"), on_bad=BLANKED),
        replace(COUNTY, on_bad=BLANKED),
        Column("zip", clean=_zip5, check=(_zip_shape, "not a 5-digit zip code (or ZIP+4)"),
               on_bad=BLANKED),
        Column("address"),
        Column("parent_first_name"),
        Column("parent_last_name"),
        Column("case_id"),
    ),
)
"""contracts.md §1: a CalWORKs child or a CWS/CMS child client record."""


LINKS_FILE = FileSpec(
    label="links",
    columns=(
        Column("left_id", required=True, nonblank=True),
        Column("right_id", required=True, nonblank=True),
        Column("match_probability", kind="float"),
        Column("match_weight", kind="float"),
        Column("decision", required=True, nonblank=True, allowed=frozenset({"match", "review"})),
    ),
)
"""contracts.md §2: LINKS.csv written by ``linkages match`` (and read by evaluate, outcomes)."""

TRUTH_FILE = FileSpec(
    label="truth",
    key=("source", "record_id"),
    columns=(
        Column("source", required=True, nonblank=True, allowed=frozenset({"calworks", "cws"})),
        Column("record_id", required=True, nonblank=True),
        Column("person_id", required=True, nonblank=True),
    ),
)
"""docs/data-files.md ``truth.csv`` of a synthetic population."""
