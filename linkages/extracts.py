"""Reading county extract files the way ``../shared/docs/contracts.md`` says.

One reader for every command (match, outcomes, ingest): UTF-8 CSV with or without a BOM, or
Parquet; column names matched case-insensitively; extra columns kept; dates ``YYYY-MM-DD``;
a blank cell is missing. A missing required column or an unreadable file raises
:class:`ExtractError` (the CLI exits 2 with one message naming the file and the column). A bad
row is set aside with one :class:`Rejection` per problem (source line, column, reason) and
the counts reconcile: ``read == accepted + rejected``.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import click
import numpy as np
import pandas as pd

DATE_FORMAT = "%Y-%m-%d"


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
    reason to give for them.
    """

    name: str
    required: bool = False
    nonblank: bool = False
    kind: str = "str"
    allowed: frozenset[str] | None = None
    check: tuple[Callable[[pd.Series], pd.Series], str] | None = None


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
    file: str
    line: int
    column: str
    reason: str
    value: str = ""


@dataclass
class ExtractResult:
    """The accepted rows (typed, indexed by source line) and what was set aside."""

    path: Path
    data: pd.DataFrame
    rejections: list[Rejection] = field(default_factory=list)
    read: int = 0

    @property
    def rejected(self) -> int:
        return len({r.line for r in self.rejections})

    @property
    def accepted(self) -> int:
        return len(self.data)

    def summary(self) -> str:
        return (
            f"{self.path.name}: read {self.read:,} = accepted {self.accepted:,}"
            f" + rejected {self.rejected:,}"
        )


def _read_raw(path: Path) -> tuple[pd.DataFrame, bool]:
    """The file as strings, blank cells as empty strings. Returns (frame, is_parquet)."""
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
            return frame.astype(object), True
        frame = pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            na_values=[],
            encoding="utf-8-sig",
            skipinitialspace=False,
            quoting=csv.QUOTE_MINIMAL,
        )
        return frame, False
    except ExtractError:
        raise
    except UnicodeDecodeError as exc:
        raise ExtractError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except pd.errors.EmptyDataError as exc:
        raise ExtractError(f"{path}: the file is empty (no header row)") from exc
    except Exception as exc:  # pandas/pyarrow raise many types for a damaged file
        raise ExtractError(f"{path}: cannot be read ({exc})") from exc


def _strip(series: pd.Series) -> pd.Series:
    return series.astype(str).str.strip()


def read_extract(path: str | Path, spec: FileSpec) -> ExtractResult:
    """Read and validate one extract file against ``spec``."""
    path = Path(path)
    raw, is_parquet = _read_raw(path)
    by_lower = {str(c).strip().lower(): c for c in raw.columns}
    missing = [c.name for c in spec.columns if c.required and c.name not in by_lower]
    if missing:
        names = ", ".join(missing)
        plural = "columns" if len(missing) > 1 else "column"
        raise ExtractError(
            f"{path}: required {plural} {names} missing from the header "
            f"(the {spec.label} file needs {names})"
        )
    raw = raw.rename(columns={orig: low for low, orig in by_lower.items()})
    # Source line of each row: the header is line 1 of a CSV; Parquet rows count from 1.
    raw.index = pd.RangeIndex(1 if is_parquet else 2, len(raw) + (1 if is_parquet else 2))
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

    bad: list[tuple[np.ndarray, str, str, pd.Series]] = []

    for col in spec.columns:
        text = text_of(col.name)
        blank = text == ""
        if col.nonblank:
            bad.append((blank.to_numpy(), col.name, "required value is blank", text))
        parsed: pd.Series
        if col.kind == "date":
            parsed = pd.to_datetime(text.where(~blank, None), format=DATE_FORMAT, errors="coerce")
            bad.append(
                (
                    (~blank & parsed.isna()).to_numpy(),
                    col.name,
                    "not a date in YYYY-MM-DD form",
                    text,
                )
            )
        elif col.kind in {"int", "float"}:
            parsed = pd.to_numeric(text.where(~blank, None), errors="coerce")
            invalid = ~blank & parsed.isna()
            if col.kind == "int":
                invalid |= ~blank & parsed.notna() & (parsed % 1 != 0)
                parsed = parsed.astype("Int64") if not invalid.any() else parsed
            what = "an integer" if col.kind == "int" else "a number"
            bad.append((invalid.to_numpy(), col.name, f"not {what}", text))
        else:
            parsed = text.where(~blank, None).astype(object)
        if col.allowed is not None:
            outside = ~blank & ~text.str.upper().isin({a.upper() for a in col.allowed})
            allowed = ", ".join(sorted(col.allowed))
            bad.append((outside.to_numpy(), col.name, f"not one of {allowed}", text))
        data[col.name] = parsed
        if col.check is not None:
            rule, reason = col.check
            mask = rule(parsed).fillna(False).to_numpy(bool) & ~blank.to_numpy()
            bad.append((mask, col.name, reason, text))

    for rule in spec.row_rules:
        for mask, column, reason in rule(data):
            bad.append(
                (
                    mask.fillna(False).to_numpy(bool),
                    column,
                    reason,
                    text_of(column) if column in raw else raw.iloc[:, 0],
                )
            )

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
            bad.append((dup.to_numpy(), spec.key[0], "", reasons.where(dup, "")))

    rejections: list[Rejection] = []
    rejected_mask = np.zeros(len(raw), dtype=bool)
    lines = raw.index.to_numpy()
    for mask, column, reason, values in bad:
        if not mask.any():
            continue
        rejected_mask |= mask
        vals = values.to_numpy()
        for i in np.flatnonzero(mask):
            if reason:
                rejections.append(Rejection(path.name, int(lines[i]), column, reason, str(vals[i])))
            else:  # the key rule carries its reason per row
                rejections.append(
                    Rejection(
                        path.name,
                        int(lines[i]),
                        column,
                        str(vals[i]),
                        str(raw[column].iloc[i]).strip(),
                    )
                )
    rejections.sort(key=lambda r: (r.line, r.column))
    return ExtractResult(
        path=path, data=data.loc[~rejected_mask], rejections=rejections, read=len(raw)
    )


def rejects_frame(rejections: Sequence[Rejection]) -> pd.DataFrame:
    return pd.DataFrame(
        [(r.file, r.line, r.column, r.reason, r.value) for r in rejections],
        columns=["file", "line", "column", "reason", "value"],
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


def _ssn_shape(values: pd.Series) -> pd.Series:
    digits = values.astype(str).str.replace("-", "", regex=False).str.replace(" ", "", regex=False)
    return ~digits.str.fullmatch(r"\d{9}")


def _zip_shape(values: pd.Series) -> pd.Series:
    return ~values.astype(str).str.fullmatch(r"\d{5}(-\d{4})?")


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
        Column("dob", kind="date", check=(_not_future, "date of birth is in the future")),
        Column("sex", allowed=SEX_CODES),
        Column("ssn", check=(_ssn_shape, "not 9 digits")),
        COUNTY,
        Column("zip", check=(_zip_shape, "not a 5-digit zip code")),
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
