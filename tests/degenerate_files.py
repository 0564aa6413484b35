"""Hypothesis strategies for contract-shaped files that are degenerate or damaged: a header
with no rows, columns blank in every row, odd Unicode, very long names, duplicate ids,
impossible dates, ZIP+4 and short zips, SSNs with dashes, rows with too many fields, header
names in another case and extra columns. Shared by the property tests of `linkages match`,
`linkages ingest` and `linkages outcomes`.

Each strategy draws a :class:`CsvFile`: the header, the rows (lists of cell strings), and raw
lines to append (rows the CSV parser must refuse). ``data_rows`` is what the file holds below
its header, the figure ``read`` must equal.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from click.testing import Result
from hypothesis import strategies as st

# Text a county system could emit: any printable character (accents, CJK, emoji, right-to-
# left marks, combining marks), never a NUL (CSV writers cannot carry one).
ODD_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x00"),
    max_size=12,
)
NAMES = st.sampled_from(["MARIA", "José", "DE LA CRUZ", "O'NEAL", "GARCIA LOPEZ", "BABY BOY",
                         "Ñandú", "李", "X", "Daughter", "---", "  ", "ZAMUDIO-PEÑA"])
LONG = st.integers(200, 3000).map(lambda k: "A" * k)
DATES = st.sampled_from(["2012-03-04", "2019-02-29", "2020-02-29", "2030-01-01", "1900-01-01",
                         "2012-13-01", "2012-00-10", "12/03/2012", "2012-3-4", "0000-00-00",
                         "9999-12-31", "yesterday", "2012-03-04T00:00"])
ZIPS = st.sampled_from(["90001", "90001-1234", "900011234", "9000", "00000", "ABCDE",
                        "90001 1234", "123456"])
SSNS = st.sampled_from(["123-45-6789", "123 45 6789", "123456789", "12345678", "000000000",
                        "666-12-3456", "1234567890", "ABC-DE-FGHI"])
SEXES = st.sampled_from(["F", "M", "I", "U", "f", "X", "female", "2"])
COUNTIES = st.sampled_from(["1", "10", "19", "58", "0", "59", "-3", "10.5", "Fresno", "1e1"])
IDS = st.sampled_from(["1", "2", "3", "A", "a", " 1", "ñ", "9" * 40])


def cell(kind: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """A value of one column: its kind of value, blank, odd text, or a very long string."""
    return st.one_of(kind, st.just(""), ODD_TEXT, LONG)


@dataclass
class CsvFile:
    header: list[str]
    rows: list[list[str]]
    bad_lines: list[str] = field(default_factory=list)

    @property
    def data_rows(self) -> int:
        return len(self.rows) + len(self.bad_lines)

    def write(self, path: Path) -> Path:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(self.header)
        writer.writerows(self.rows)
        text = buffer.getvalue() + "".join(line + "\n" for line in self.bad_lines)
        path.write_text(text, encoding="utf-8")
        return path


def single_line(rows: list[list[str]]) -> list[list[str]]:
    """Cells without line breaks: a quoted line break is valid CSV, but then a row is no
    longer one line and the line count of the test would be wrong, not the reader."""
    return [[re.sub(r"[\r\n\u2028\u2029\x85\x0b\x0c\x1c\x1d\x1e]", " ", c) for c in row]
            for row in rows]


@st.composite
def csv_files(draw: st.DrawFn, columns: dict[str, st.SearchStrategy[str]],
              required: tuple[str, ...], max_rows: int = 6) -> CsvFile:
    """A file with the ``required`` columns and any of the others, in any order and case,
    perhaps an extra column, rows of drawn cells (perhaps the same column blank in every
    row) and perhaps a line with too many fields."""
    optional = [c for c in columns if c not in required]
    chosen = list(required) + draw(st.lists(st.sampled_from(optional), unique=True)
                                   if optional else st.just([]))
    chosen = draw(st.permutations(chosen))
    header = [c.upper() if draw(st.booleans()) and draw(st.booleans()) else c for c in chosen]
    if draw(st.booleans()) and draw(st.booleans()):
        header.append("extra_column")
    blank_columns = set(draw(st.lists(st.sampled_from(chosen), unique=True, max_size=3)))
    n = draw(st.integers(0, max_rows))
    rows = []
    for _ in range(n):
        row = [("" if c in blank_columns else draw(cell(columns[c]))) for c in chosen]
        if len(header) > len(chosen):
            row.append(draw(ODD_TEXT))
        if draw(st.integers(0, 9)) == 0:
            row = row[: draw(st.integers(1, len(row)))]  # a short row: its last fields blank
        rows.append(row)
    bad = []
    if draw(st.integers(0, 5)) == 0:
        bad.append(",".join(["x"] * (len(header) + 2)))
    return CsvFile(header, single_line(rows), bad)


PERSON_COLUMNS: dict[str, st.SearchStrategy[str]] = {
    "record_id": IDS, "first_name": NAMES, "middle_name": NAMES, "last_name": NAMES,
    "dob": DATES, "sex": SEXES, "ssn": SSNS, "county_cd": COUNTIES, "zip": ZIPS,
    "address": st.sampled_from(["123 MAIN ST", "1 A", "#4", "APT 2", "١٢٣ شارع"]),
    "parent_first_name": NAMES, "parent_last_name": NAMES,
    "case_id": st.sampled_from(["C1", "C2", "", "c1"]),
}
PERSON_REQUIRED = ("record_id", "first_name", "last_name")


def person_files(max_rows: int = 6) -> st.SearchStrategy[CsvFile]:
    return csv_files(PERSON_COLUMNS, PERSON_REQUIRED, max_rows)


READ_LINE = re.compile(r"(\S+): read ([\d,]+) = accepted ([\d,]+) \+ rejected ([\d,]+)")


def read_lines(output: str) -> dict[str, tuple[int, int, int]]:
    """The ``NAME: read R = accepted A + rejected J`` lines a command printed, by file name."""
    return {m.group(1): tuple(int(g.replace(",", "")) for g in m.groups()[1:])
            for m in READ_LINE.finditer(output)}


FC_DATES = st.one_of(st.dates(min_value=date(2015, 1, 1), max_value=date(2023, 12, 31)).map(str),
                     DATES)
FOSTER_CARE_COLUMNS: dict[str, st.SearchStrategy[str]] = {
    "child_id": IDS, "birth_dt": FC_DATES, "sex": SEXES,
    "ethnicity_cd": st.sampled_from(["830", "823", "839", "x"]),
    "hispanic": st.sampled_from(["Y", "N", "maybe"]),
    "episode_id": st.sampled_from(["E1", "E2", "e1"]), "episode_start": FC_DATES,
    "episode_end": FC_DATES,
    "termination_reason_cd": st.sampled_from(["5439", "5440", "5434", "5516", "1", "abc"]),
    "agency_cd": st.sampled_from(["34", "33", "5603", "x"]), "county_cd": COUNTIES,
    "placement_start": FC_DATES, "placement_end": FC_DATES,
    "facility_type_cd": st.sampled_from(["1421", "1416", "6914", "x"]),
    "caregiver_relationship_cd": st.sampled_from(["1638", "6990", "x"]),
    "placement_change_reason_cd": st.sampled_from(["1440", "1431", "x"]),
}
FOSTER_CARE_REQUIRED = ("child_id", "birth_dt", "episode_id", "episode_start", "agency_cd",
                        "county_cd", "placement_start")


def foster_care_files(max_rows: int = 8) -> st.SearchStrategy[CsvFile]:
    return csv_files(FOSTER_CARE_COLUMNS, FOSTER_CARE_REQUIRED, max_rows)


LINKS_COLUMNS: dict[str, st.SearchStrategy[str]] = {
    "left_id": IDS, "right_id": IDS,
    "match_probability": st.sampled_from(["0.9", "1", "-1", "x"]),
    "match_weight": st.sampled_from(["12.5", "nan", "x"]),
    "decision": st.sampled_from(["match", "review", "MATCH", "maybe"]),
}


def links_files(max_rows: int = 4) -> st.SearchStrategy[CsvFile]:
    return csv_files(LINKS_COLUMNS, ("left_id", "right_id", "decision"), max_rows)


def assert_clean_run(result: Result, files: dict[str, CsvFile | None]) -> None:
    """Exit 0 or 2, never a traceback; on 0 every file given (not None) reconciles:
    ``read = accepted + rejected`` and read is the number of rows written below the header."""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code in (0, 2), result.output
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        assert result.output.strip(), "exit 2 needs a message"
        return
    counts = read_lines(result.output)
    for name, spec in files.items():
        if spec is None:
            continue
        read, accepted, rejected = counts[name]
        assert read == accepted + rejected, result.output
        assert read == spec.data_rows, (name, result.output)
