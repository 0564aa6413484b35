"""``compute``: a measure over rolling periods, by dimensions, masked, optionally comparing
CalWORKs-matched children with the rest. The service the CLI and the web app call."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from linkages import codes
from linkages.outcomes import core, masking, stats
from linkages.outcomes.core import FosterCare, MeasureInputError, Period
from linkages.outcomes.files import FILE_OPTIONS, matched_children
from linkages.outcomes.measures import (
    ALL_DIMENSIONS,
    MEASURES,
    PLACEMENT_4B,
    Inputs,
    Measure,
    Reports,
    substantiated_reports,
)

TOTAL = "Total"


def _dimension_order() -> dict[str, list[str]]:
    t = codes.tables()
    return {
        "county": [*t.counties["name"], codes.MISSING],
        "age_group": [*t.age_groups["age_group"], codes.MISSING],
        "ethnicity": [*dict.fromkeys(t.ethnicity["ethnic_group"]), codes.MISSING],
        "sex": [*core.SEX_LABELS.values(), codes.MISSING],
        "agency": [*dict.fromkeys(t.agency_types["agency_type"]), codes.MISSING],
        "placement_type": [*PLACEMENT_4B, *dict.fromkeys(
            [*t.facility_types["placement_type"], *t.placement_change_reasons[
                "placement_type_override"]])],
        "entry_type": ["First entry", "Other entry"],
        "calworks_match": [core.MATCHED, core.NOT_MATCHED],
    }


def _sort_key(dim: str, order: dict[str, list[str]]):
    ranks: dict[str, int] = {}
    for i, v in enumerate(order.get(dim, [])):
        ranks.setdefault(v, i)
    return lambda v: (ranks.get(v, len(ranks)), str(v))


# --- result objects ---------------------------------------------------------------------------


@dataclass
class Comparison:
    """Matched (CalWORKs) versus other children for one cell of the table."""

    matched: tuple[float, float]  # (numerator, denominator)
    other: tuple[float, float]
    masked: tuple[bool, bool, bool, bool]  # matched num, matched den, other num, other den
    small: bool  # some count under 11: too few to say anything


@dataclass
class Row:
    group: dict[str, str]
    numerator: float
    denominator: float
    mask_numerator: bool = False
    mask_denominator: bool = False
    in_percent: bool = True  # 4B's Missing category is shown but not a share
    comparison: Comparison | None = None
    children: float | None = None  # unduplicated children (Measure.unduplicated)
    mask_children: bool = False


@dataclass
class PeriodResult:
    period: Period
    total: Row
    rows: list[Row]


@dataclass
class OutcomeResult:
    measure: Measure
    periods: list[PeriodResult]
    by: tuple[str, ...]
    agencies: tuple[str, ...]
    unmasked: bool = False
    compared: bool = False
    notes: list[str] = field(default_factory=list)

    # -- values ----------------------------------------------------------------------------
    @property
    def value_name(self) -> str:
        return "rate" if self.measure.kind == "rate" else "percent"

    def _value(self, num: float, den: float) -> float | None:
        if den == 0:
            return None
        if self.measure.kind == "rate":
            return num / den * self.measure.per
        return num / den * 100

    def _digits(self) -> int:
        return 2 if self.measure.kind == "rate" else 1

    def _cell(self, row: Row) -> dict:
        value = self._value(row.numerator, row.denominator) if row.in_percent else None
        shown_value = (masking.show_quotient(value, row.mask_numerator or row.mask_denominator,
                                             self.unmasked, self._digits())
                       if row.in_percent else None)
        cell = {
            "numerator": masking.show_count(row.numerator, row.mask_numerator, self.unmasked),
            "denominator": masking.show_count(row.denominator, row.mask_denominator,
                                              self.unmasked),
            self.value_name: shown_value,
        }
        if self.measure.unduplicated:
            cell["children"] = masking.show_count(row.children or 0.0, row.mask_children,
                                                  self.unmasked)
        return cell

    def _comparison(self, c: Comparison) -> dict:
        hide = (c.small or any(c.masked)) and not self.unmasked
        (a, n1), (x, n2) = c.matched, c.other
        digits = self._digits()
        scale = self.measure.per if self.measure.kind == "rate" else 100

        def side(num: float, den: float, mn: bool, md: bool) -> dict:
            value = self._value(num, den)
            if self.measure.kind == "rate":
                ci = stats.rate_interval(num, den)
            else:
                ci = stats.wilson(num, den)
            return {
                "numerator": masking.show_count(num, mn, self.unmasked),
                "denominator": masking.show_count(den, md, self.unmasked),
                self.value_name: (masking.MASK if hide else
                                  masking.show_quotient(value, False, self.unmasked, digits)),
                "ci": (masking.MASK if hide else
                       None if ci is None else [round(ci[0] * scale, digits),
                                                round(ci[1] * scale, digits)]),
            }

        v1, v2 = self._value(a, n1), self._value(x, n2)
        diff = None if v1 is None or v2 is None else v1 - v2
        if self.measure.kind == "rate":
            ratio, ci = stats.rate_ratio(a, n1, x, n2)
        else:
            ratio, ci = stats.risk_ratio(a, n1, x, n2)

        def shown(value: float | None, nd: int = 3) -> float | str | None:
            if hide:
                return masking.MASK
            return None if value is None else round(value, nd)

        return {
            "matched": side(a, n1, c.masked[0], c.masked[1]),
            "other": side(x, n2, c.masked[2], c.masked[3]),
            "difference": shown(diff, digits + 1),
            "difference_unit": ("percentage points" if self.measure.kind != "rate"
                                else f"per {self.measure.per:,} {self.measure.per_unit}"),
            "ratio": shown(ratio),
            "ratio_ci": (masking.MASK if hide else
                         None if ci is None else [round(ci[0], 3), round(ci[1], 3)]),
            "ratio_kind": "rate ratio" if self.measure.kind == "rate" else "risk ratio",
            "small_counts": c.small,
        }

    # -- outputs ---------------------------------------------------------------------------
    def to_dict(self) -> dict:
        periods = []
        for p in self.periods:
            entry: dict = {"start": f"{p.period.start:%Y-%m-%d}", "end": f"{p.period.end:%Y-%m-%d}",
                           "total": self._cell(p.total),
                           "rows": [{"group": r.group, **self._cell(r)} for r in p.rows]}
            if self.compared:
                if p.total.comparison is not None:
                    entry["total"]["comparison"] = self._comparison(p.total.comparison)
                for out, r in zip(entry["rows"], p.rows, strict=True):
                    if r.comparison is not None:
                        out["comparison"] = self._comparison(r.comparison)
            periods.append(entry)
        out: dict = {"measure": self.measure.code, "periods": periods,
                     "title": self.measure.title, "masked": not self.unmasked,
                     "agencies": list(self.agencies)}
        if self.measure.kind == "rate":
            out[f"rate_per_{self.measure.per_unit}"] = self.measure.per
        return out

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    def _flat_rows(self) -> list[dict]:
        records = []
        for data in self.to_dict()["periods"]:
            cells = [({d: TOTAL for d in self._columns()}, data["total"]),
                     *[(r["group"], r) for r in data["rows"]]]
            for group, cell in cells:
                rec = {"period_start": data["start"], "period_end": data["end"]}
                rec.update({d: group.get(d, TOTAL) for d in self._columns()})
                rec.update({k: cell[k] for k in ("numerator", "denominator", self.value_name)})
                if self.measure.unduplicated:
                    rec["children"] = cell["children"]
                comp = cell.get("comparison")
                if self.compared:
                    for side in ("matched", "other"):
                        for k in ("numerator", "denominator", self.value_name):
                            rec[f"{side}_{k}"] = comp[side][k] if comp else None
                        ci = comp[side]["ci"] if comp else None
                        rec[f"{side}_ci_low"], rec[f"{side}_ci_high"] = _pair(ci)
                    rec["difference"] = comp["difference"] if comp else None
                    rec["ratio"] = comp["ratio"] if comp else None
                    rec["ratio_ci_low"], rec["ratio_ci_high"] = _pair(
                        comp["ratio_ci"] if comp else None)
                    rec["small_counts"] = comp["small_counts"] if comp else None
                records.append(rec)
        return records

    def _columns(self) -> list[str]:
        cols = list(self.by)
        if self.measure.kind == "distribution":
            cols.append("placement_type")
        return cols

    def to_csv(self) -> str:
        records = self._flat_rows()
        buf = io.StringIO()
        fields = list(records[0]) if records else ["period_start", "period_end"]
        writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        for rec in records:
            writer.writerow({k: "" if v is None else v for k, v in rec.items()})
        return buf.getvalue()

    def to_table(self) -> str:
        """A readable table for the terminal."""
        records = self._flat_rows()
        scope = (self.measure.scope.format(agencies=", ".join(self.agencies))
                 or (f"Agencies: {', '.join(self.agencies)}"
                     if "agency" in self.measure.dimensions
                     else "All substantiated reports (no agency)"))
        lines = [f"{self.measure.code}  {self.measure.title}",
                 scope + ("" if self.unmasked else "   (masked: M = 1-10 or derived, . = zero)")]
        cols = ["period_start", "period_end", *self._columns(), "numerator", "denominator",
                self.value_name, *(["children"] if self.measure.unduplicated else [])]
        if self.compared:
            cols += [f"matched_{self.value_name}", f"other_{self.value_name}", "difference",
                     "ratio", "ratio_ci_low", "ratio_ci_high", "small_counts"]
        text = [[str("" if r.get(c) is None else r.get(c)) for c in cols] for r in records]
        widths = [max(len(c), *(len(t[i]) for t in text)) if text else len(c)
                  for i, c in enumerate(cols)]
        lines.append("  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True)))
        for t in text:
            lines.append("  ".join(v.ljust(w) for v, w in zip(t, widths, strict=True)))
        lines.extend(self.notes)
        return "\n".join(lines)


def _pair(ci: object) -> tuple[object, object]:
    if isinstance(ci, list):
        return ci[0], ci[1]
    return ci, ci


# --- computing --------------------------------------------------------------------------------


def _attach(units: pd.DataFrame, dims: Iterable[str], inputs: Inputs,
            demographics: pd.DataFrame, matched: set[str] | None) -> pd.DataFrame:
    fc = inputs.foster_care
    out = units
    for dim in dims:
        if dim in out.columns:
            continue
        if dim == "county":
            out[dim] = core.county_on(fc, out["ep"], out["county_on"])
        elif dim == "age_group":
            birth = (out["birth_dt"] if "birth_dt" in out.columns
                     else out["child_id"].map(fc.children["birth_dt"]))
            ages = core.age_on(pd.to_datetime(birth, cache=False), out["age_on"])
            out[dim] = codes.age_group_series(ages).to_numpy()
        elif dim in ("sex", "ethnicity"):
            out[dim] = out["child_id"].map(demographics[dim]).fillna(codes.MISSING).to_numpy()
        elif dim == "agency":
            out[dim] = out["ep"].map(fc.episodes["agency"]).fillna(codes.MISSING)
        elif dim == "entry_type":
            out[dim] = out["ep"].map(fc.episodes["entry_type"]).fillna(codes.MISSING)
        elif dim == "placement_type":
            types = fc.placement_on(out["ep"], out["placement_on"])["placement_type"]
            out[dim] = types.fillna(codes.MISSING).to_numpy()
        elif dim == "calworks_match":
            out[dim] = np.where(out["child_id"].isin(matched or set()), core.MATCHED,
                                core.NOT_MATCHED)
    return out


def _aggregate(units: pd.DataFrame, keys: list[str], distribution: bool) -> pd.DataFrame:
    """numerator and denominator per group of ``keys``."""
    if not distribution:
        if not keys:
            return pd.DataFrame({"numerator": [units["numerator"].sum()],
                                 "denominator": [units["denominator"].sum()]})
        return (units.groupby(keys, sort=False)[["numerator", "denominator"]].sum()
                .reset_index())
    known = units["category"] != codes.MISSING
    counts = units.groupby([*keys, "category"], sort=False).size().rename("numerator")
    counts = counts.reset_index().rename(columns={"category": "placement_type"})
    if keys:
        base = units[known].groupby(keys, sort=False).size().rename("denominator").reset_index()
        counts = counts.merge(base, on=keys, how="left")
    else:
        counts["denominator"] = int(known.sum())
    counts["denominator"] = counts["denominator"].fillna(0)
    return counts


def compute(measure: str, foster_care: pd.DataFrame | FosterCare,
            period_start: date | str | pd.Timestamp, periods: int = 1,
            by: Sequence[str] = (), links: pd.DataFrame | None = None, masked: bool = True,
            allegations: pd.DataFrame | Reports | None = None,
            children: pd.DataFrame | None = None,
            agencies: Sequence[str] | None = None,
            compare_matched: bool = False,
            extras: Mapping[str, pd.DataFrame | None] | None = None) -> OutcomeResult:
    """Compute ``measure`` for ``periods`` periods of its kind (``Measure.period``: rolling
    years by default) from ``period_start``.

    ``foster_care``: the accepted rows of the foster care file (or :func:`core.prepare` of
    them, to reuse across calls). ``by``: dimensions (contracts.md §4). ``links``: the links
    file, for ``calworks_match`` and ``compare_matched``. ``allegations``: for S1 and S2 (or
    :func:`~linkages.outcomes.measures.prepare_reports` of them, to reuse across calls).
    ``children``: CWS child records (``record_id``, ``dob``, ``sex``, ``ethnicity_cd``,
    ``hispanic``) giving S2 the birth dates and demographics of children never in foster care.
    ``agencies``: the agency types of the cohort; by default Child Welfare only, or every
    included type when stratifying by agency. ``masked=False`` is for authorised users only.
    ``extras``: the other input files by name (``referrals``, ``contacts``, ``visits``,
    ``siblings``, ``homes``, ``population``: the accepted rows of docs/data-files.md's files)
    for the measures of :mod:`.ccwip`, which list what they need.
    """
    code = measure.strip().upper()
    if code not in MEASURES:
        raise MeasureInputError(f"unknown measure {measure!r}; one of {', '.join(MEASURES)}")
    m = MEASURES[code]
    by = tuple(dict.fromkeys(by))
    for dim in by:
        if dim not in ALL_DIMENSIONS:
            raise MeasureInputError(f"unknown dimension {dim!r}; one of "
                                    f"{', '.join(ALL_DIMENSIONS)}")
        if dim not in m.dimensions:
            raise MeasureInputError(f"{code} cannot be stratified by {dim}")
    if ("calworks_match" in by or compare_matched) and links is None:
        raise MeasureInputError("calworks_match and the matched comparison need the links "
                                "file (--links)")
    if m.needs_allegations and allegations is None:
        raise MeasureInputError(f"{code} needs the allegation file (--allegations)")
    if compare_matched and "calworks_match" not in m.dimensions:
        raise MeasureInputError(f"{code} cannot compare matched children with the rest: its "
                                "denominator (the population file) has no CalWORKs split")
    files: dict[str, pd.DataFrame] = {k: v for k, v in (extras or {}).items() if v is not None}
    if isinstance(allegations, pd.DataFrame):
        files["allegations"] = allegations
    if children is not None:
        files["children"] = children
    for name in m.needs:
        if name not in files:
            raise MeasureInputError(f"{code} needs {FILE_OPTIONS[name]}")
    period_list = core.periods_of(m.period, period_start, periods)

    fc = foster_care if isinstance(foster_care, FosterCare) else core.prepare(foster_care)
    valid_agencies = core.included_agencies()
    if agencies is None:
        agencies = (list(m.agencies) if m.agencies is not None
                    else valid_agencies if "agency" in by else [core.CHILD_WELFARE])
    unknown = [a for a in agencies if a not in valid_agencies]
    if unknown:
        raise MeasureInputError(f"agency type {unknown[0]!r} is not one of "
                                f"{', '.join(valid_agencies)} (the others are excluded from "
                                "all analyses)")
    matched = set(matched_children(links)) if links is not None else None
    inputs = Inputs(foster_care=fc, agencies=tuple(agencies), files=files, matched=matched)

    demographics = fc.children[["sex", "ethnicity"]]
    dims = list(by)
    needed = [*dims, *(["calworks_match"] if compare_matched else [])]
    notes: list[str] = []
    if m.needs_allegations and allegations is not None:
        inputs.reports = (allegations.table if isinstance(allegations, Reports)
                          else substantiated_reports(allegations))
        births = fc.children["birth_dt"]
        # Only S2 counts children who may never have been in foster care.
        if children is not None and code == "S2":
            ids = pd.Series(core.trimmed_text(children["record_id"]), index=children.index)
            first = ~ids.duplicated().to_numpy()
            kids = children.loc[first]
            kids_index = pd.Index(ids.to_numpy()[first], name="record_id")
            # The person records' demographics only matter to a table by sex or ethnicity.
            if {"sex", "ethnicity"} & set(needed):
                blank = pd.Series("", index=kids.index)
                coded = pd.DataFrame({"sex": kids.get("sex", blank),
                                      "ethnicity_cd": kids.get("ethnicity_cd", blank),
                                      "hispanic": kids.get("hispanic", blank)})
                own = pd.DataFrame({
                    "sex": core.by_distinct(coded[["sex"]],
                                            lambda d: core.sex_labels(d["sex"])),
                    "ethnicity": core.by_distinct(
                        coded[["ethnicity_cd", "hispanic"]],
                        lambda d: codes.ethnic_group_series(d["ethnicity_cd"], d["hispanic"])),
                }, index=kids_index)
                demographics = pd.concat([own,
                                          demographics[~demographics.index.isin(own.index)]])
            if "dob" in kids:  # the person record's birth date, else the foster care file's
                own_births = pd.Series(pd.to_datetime(kids["dob"], cache=False).to_numpy(),
                                       index=kids_index).dropna()
                # As own_births.combine_first(births) but without sorting the union of a
                # million id strings: the two indexes are unique and made disjoint here.
                births = pd.concat([own_births, births[~births.index.isin(own_births.index)]])
        inputs.birth_dates = births
        if code == "S2":
            unknown_birth = ~inputs.reports["child_id"].isin(births.dropna().index)
            if unknown_birth.any():
                notes.append(f"note: {inputs.reports.loc[unknown_birth, 'child_id'].nunique():,}"
                             " children with substantiated reports have no known birth date "
                             "(kept, age group Missing"
                             + ("" if children is not None else "; --children supplies them")
                             + ")")

    distribution = m.kind == "distribution"
    keys = [*dims, "placement_type"] if distribution else dims

    per_period: list[tuple[Period, pd.DataFrame, pd.DataFrame | None]] = []
    for period in period_list:
        units = _attach(m.units(inputs, period), dict.fromkeys(needed), inputs, demographics,
                        matched)
        table = _aggregate(units, dims, distribution)
        if m.unduplicated:
            table = _unduplicated(units, dims, table)
        split = (_aggregate(units, list(dict.fromkeys([*dims, "calworks_match"])), distribution)
                 if compare_matched else None)
        per_period.append((period, table, split))

    order = _dimension_order()
    seen: set[tuple] = set()
    for _, table, _ in per_period:
        seen.update(map(tuple, table[keys].astype(str).to_numpy().tolist()) if keys else [])
    group_keys = sorted(seen, key=lambda k: tuple(_sort_key(d, order)(v)
                                                  for d, v in zip(keys, k, strict=True)))
    results = [_period_result(period, table, split, keys, group_keys, distribution,
                              m.kind == "rate")
               for period, table, split in per_period]
    return OutcomeResult(measure=m, periods=results, by=by, agencies=tuple(agencies),
                         unmasked=not masked, compared=compare_matched, notes=notes)


def _unduplicated(units: pd.DataFrame, dims: list[str], table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with each cell's distinct children (``children``) and the total's in
    ``attrs["children"]``: a child in two counties in the period counts in each, once in the
    total."""
    # Children by an integer code where the units carry one (the same groups, cheaper).
    child = "child" if "child" in units.columns else "child_id"
    if dims:
        counts = units.groupby(dims, sort=False)[child].nunique().rename("children")
        table = table.merge(counts.reset_index(), on=dims, how="left")
    table.attrs["children"] = float(units[child].nunique())
    return table


def _period_result(period: Period, table: pd.DataFrame, split: pd.DataFrame | None,
                   keys: list[str], group_keys: list[tuple], distribution: bool,
                   rate: bool) -> PeriodResult:
    if keys:
        indexed = table.assign(**{k: table[k].astype(str) for k in keys}).set_index(keys)
        if len(keys) == 1:
            indexed.index = pd.MultiIndex.from_arrays([indexed.index])
        full = indexed.reindex(pd.MultiIndex.from_tuples(group_keys, names=keys), fill_value=0)
        nums = full["numerator"].to_numpy(dtype=float)
        dens = full["denominator"].to_numpy(dtype=float)
        kids = (full["children"].fillna(0).to_numpy(dtype=float) if "children" in full
                else np.zeros(len(full)))
    else:
        nums = dens = kids = np.zeros(0)
    if distribution:
        known = [k[-1] != codes.MISSING for k in group_keys]
        total_num = float(nums[known].sum()) if keys else 0.0
        total_den = total_num
        # A row's denominator is its group's entries; fill groups with no row of this type.
        by_group: dict[tuple, float] = {}
        for k, d in zip(group_keys, dens, strict=True):
            by_group[k[:-1]] = max(by_group.get(k[:-1], 0.0), d)
        dens = np.array([by_group[k[:-1]] for k in group_keys], dtype=float)
    else:
        total_num = float(table["numerator"].sum())
        total_den = float(table["denominator"].sum())

    # In 4B the categories of a group add up to the group's entries, which are published as
    # its denominator; the category is one more dimension of the relations.
    mask_num, mask_total_num = masking.suppress(nums, total_num,
                                                masking.table_relations(group_keys))
    if distribution:
        groups = list(dict.fromkeys(k[:-1] for k in group_keys))
        group_dens = np.array([by_group[g] for g in groups], dtype=float)
        if groups and groups[0]:
            group_mask, mask_total_den = masking.suppress(
                group_dens, total_den, masking.table_relations(groups))
        else:  # no dimension: the one group's entries are the total
            group_mask = masking.primary(group_dens)
            mask_total_den = bool(masking.primary(np.array([total_den]))[0])
        masked_group = dict(zip(groups, group_mask, strict=True))
        mask_den = np.array([masked_group[k[:-1]] for k in group_keys], dtype=bool)
    else:
        mask_den, mask_total_den = masking.suppress(dens, total_den,
                                                    masking.table_relations(group_keys))
    rows = [Row(group=dict(zip(keys, k, strict=True)), numerator=n, denominator=d,
                mask_numerator=bool(mn), mask_denominator=bool(md),
                in_percent=not (distribution and k[-1] == codes.MISSING))
            for k, n, d, mn, md in zip(group_keys, nums, dens, mask_num, mask_den, strict=True)]
    total = Row(group={}, numerator=total_num, denominator=total_den,
                mask_numerator=mask_total_num, mask_denominator=mask_total_den)
    if "children" in table.attrs:
        # Unduplicated children: the cells need not add up to the total (a child counts in
        # each county she was in) but mostly do, so they are masked as if they did: primary
        # and complementary suppression, as the other counts.
        total.children = table.attrs["children"]
        mask_kids, total.mask_children = masking.suppress(kids, total.children,
                                                          masking.table_relations(group_keys))
        for row, n, masked in zip(rows, kids, mask_kids, strict=True):
            row.children, row.mask_children = float(n), bool(masked)

    if split is not None:
        _compare(split, keys, rows, total, distribution, rate)
    return PeriodResult(period=period, total=total, rows=rows)


def _compare(split: pd.DataFrame, keys: list[str], rows: list[Row], total: Row,
             distribution: bool, rate: bool) -> None:
    """Fill each row's (and the total's) matched-versus-other comparison.

    Too small to say anything: a proportion's 2x2 table (events and non-events of each side)
    or a rate's event counts has a cell under 11. The two sides add up to the published cell,
    so one masked side masks the other (complementary suppression).
    """
    split = split.assign(**{k: split[k].astype(str) for k in keys})
    lookup = {}
    for rec in split.itertuples(index=False):
        key = tuple(getattr(rec, k) for k in keys)
        lookup[(key, rec.calworks_match)] = (float(rec.numerator), float(rec.denominator))

    def comparison(key: tuple | None, row: Row) -> Comparison:
        if key is None:  # the period total: sum over the groups
            m = _sum([v for (k, g), v in lookup.items() if g == core.MATCHED])
            o = _sum([v for (k, g), v in lookup.items() if g == core.NOT_MATCHED])
            if distribution:
                m = o = (0.0, 0.0)
        else:
            m = lookup.get((key, core.MATCHED), (0.0, 0.0))
            o = lookup.get((key, core.NOT_MATCHED), (0.0, 0.0))
        if distribution and key is not None:
            m = (m[0], _group_den(lookup, key[:-1], core.MATCHED))
            o = (o[0], _group_den(lookup, key[:-1], core.NOT_MATCHED))
        mask_num, _ = masking.suppress([m[0], o[0]], row.numerator,
                                       [masking.Relation(np.arange(2), True)])
        mask_den, _ = masking.suppress([m[1], o[1]], row.denominator,
                                       [masking.Relation(np.arange(2), True)])
        cells = [m[0], o[0]] if rate else [m[0], m[1] - m[0], o[0], o[1] - o[0]]
        small = bool(any(0 <= c < masking.SMALLEST_SHOWN for c in cells))
        return Comparison(matched=m, other=o,
                          masked=(bool(mask_num[0]), bool(mask_den[0]), bool(mask_num[1]),
                                  bool(mask_den[1])), small=small)

    for row in rows:
        row.comparison = comparison(tuple(row.group[k] for k in keys), row)
    if not distribution:
        total.comparison = comparison(None, total)


def _sum(pairs: list[tuple[float, float]]) -> tuple[float, float]:
    return (sum(p[0] for p in pairs), sum(p[1] for p in pairs))


def _group_den(lookup: dict, group: tuple, status: str) -> float:
    dens = [v[1] for (k, g), v in lookup.items() if g == status and k[:-1] == group]
    return max(dens, default=0.0)
