"""Splink 5 (DuckDB) on the same files and contract as ``linkages match``: the yardstick.

    python bench/splink_runner.py --left TANF.csv --right CWS.csv --out LINKS.csv [--stats S.json]

Reads the two person files of contracts.md §1 with Linkages' own extract reader (so both
tools see the same accepted rows; rejects go next to the output) and writes LINKS.csv and the
match statistics in the shapes of contracts.md §2.

The model is the standard one a careful Splink user would build, without labels (the
choices, and why; bench/README.md says the same):

- ``link_and_dedupe`` over the two sources (each file holds a few duplicate records of one
  child, and the persons of the stats need them), DuckDB backend.
- Comparisons of the child's own identifiers, each its own comparison: first and last name
  by ``NameComparison`` (exact with term-frequency adjustments, Jaro-Winkler 0.92/0.88/0.7);
  ``DateOfBirthComparison``; SSN by Damerau-Levenshtein (exact, ≤1, ≤2); exact sex.
- The family's fields are shared by siblings and correlated with each other, and
  Fellegi-Sunter adds comparisons up as independent evidence; so they do not each get a
  comparison: one ``home`` comparison (address exact with term frequencies / address
  Jaro-Winkler ≥ 0.9 / same zip / same county / else) and one ``parent`` comparison (parent
  first and last name exact / parent first name Jaro-Winkler ≥ 0.88 / else).
- Prediction blocking on the child's identifiers only, never on a family field alone (an
  address or parent-name block is mostly sibling pairs and grows with the square of the
  family): SSN; DOB + first letter of the last name; first name + DOB; first + last name +
  birth year; last name + first initial + birth month/day; first + last name + county; first
  name + zip (the last two find the children whose DOB is missing in one file); DOB + zip;
  first and last name swapped. About 70M pairs at scale 1.0.
- Training: ``probability_two_random_records_match`` from deterministic rules (SSN + DOB;
  first + last name + DOB) at recall 0.7; u by random sampling (``--u-max-pairs``, 5e6,
  seeded); m by EM on first + last name (frees DOB, SSN, sex, home, parent), on DOB (frees
  the names and the rest: the only block that estimates the names when there is no SSN
  column) and on SSN (frees everything but SSN); each capped at ``--em-max-pairs``. No EM
  block on a home: siblings fill it and EM drifts towards "same family".
- ``match`` is decided pair by pair: every cross-source pair Splink scores at or above
  ``--match-threshold`` (0.9, Splink's usual choice, not tuned on the truth) is a ``match``
  row, the other cross-source pairs at or above ``--review-threshold`` (0.5) are ``review``
  rows. ``cluster_pairwise_predictions_at_threshold`` at the match threshold gives the persons
  of the stats only; its clusters are not expanded into pairs, so a chain of links cannot
  turn a family into one child's links.
- The trained model is saved next to LINKS.csv (``*.model.json``). DuckDB gets
  ``--duckdb-memory-limit`` (4GB) and spills beyond it into ``.splink_spill`` next to the
  output, at most ``--duckdb-temp-limit``.

A comparison or rule whose column is empty in both files (e.g. FEBRL has no sex) is left out,
as a user looking at the data would.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import click
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from linkages.extracts import (  # noqa: E402
    PERSON_FILE,
    read_extract,
    rejects_path,
    write_rejects,
)
from matching.evaluation import LEFT_SOURCE, RIGHT_SOURCE, match_statistics  # noqa: E402

MODEL_COLUMNS = ["first_name", "last_name", "dob", "ssn", "sex", "county_cd", "zip", "address",
                 "parent_first_name", "parent_last_name"]
LINK_COLUMNS = ["left_id", "right_id", "match_probability", "match_weight", "decision"]
_START = time.perf_counter()


def note(message: str) -> None:
    click.echo(f"[splink {time.perf_counter() - _START:7.1f}s] {message}", err=True)


def _text(series: pd.Series) -> pd.Series:
    """Upper-cased, trimmed, inner spaces collapsed; blank is missing (what a user does in SQL)."""
    s = series.astype("string").str.upper().str.strip().str.replace(r"\s+", " ", regex=True)
    return s.mask(s == "")


def prepare(data: pd.DataFrame) -> pd.DataFrame:
    """The accepted rows of a person file as Splink's input table (all columns text)."""
    out = pd.DataFrame({"record_id": data["record_id"].astype("string").str.strip()})
    for col in ("first_name", "last_name", "address", "parent_first_name", "parent_last_name"):
        out[col] = _text(data[col])
    out["dob"] = data["dob"].dt.strftime("%Y-%m-%d").astype("string")
    ssn = _text(data["ssn"]).str.replace(r"[^0-9]", "", regex=True)
    # Placeholders (000000000, 123456789, 111111111) would make blocks of thousands of
    # records; a US user nulls what the SSA never issues (area 000/666/9xx, group 00, serial
    # 0000) and the dummies an intake worker types (one digit repeated, 123456789).
    never_issued = (ssn.str.fullmatch(r"(000|666|9\d\d)\d{6}|\d{3}00\d{4}|\d{5}0000|(\d)\2{8}")
                    | (ssn == "123456789"))
    out["ssn"] = ssn.mask(never_issued.fillna(False))
    sex = _text(data["sex"])
    out["sex"] = sex.mask(~sex.isin(["F", "M", "I"]))  # U is "unknown": missing, not a value
    out["county_cd"] = data["county_cd"].astype("Int64").astype("string")
    out["zip"] = _text(data["zip"]).str.slice(0, 5)
    case = data["case_id"].astype("string").str.strip()
    out["case_id"] = case.mask(case == "")
    return out.reset_index(drop=True)


def build_settings(present: set[str], extra_blocking: tuple[tuple[str, ...], ...] = ()
                   ) -> tuple[Any, list[Any], list[Any]]:
    """Splink settings, deterministic rules for lambda, and EM training rules, for the columns
    that hold data. ``extra_blocking``: more prediction blocking rules (columns that must all
    be equal), for a benchmark that gives Linkages extra blocking passes too."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    comparisons: list[Any] = []
    # The child's own identifiers: each its own comparison, names with term frequencies.
    if "first_name" in present:
        comparisons.append(cl.NameComparison("first_name"))
    if "last_name" in present:
        comparisons.append(cl.NameComparison("last_name"))
    if "dob" in present:
        comparisons.append(cl.DateOfBirthComparison("dob", input_is_string=True,
                                                    datetime_format="%Y-%m-%d"))
    if "ssn" in present:
        comparisons.append(cl.DamerauLevenshteinAtThresholds("ssn", [1, 2]))
    if "sex" in present:
        comparisons.append(cl.ExactMatch("sex"))
    # The family's fields (home, parent) are shared by siblings and strongly correlated with
    # each other: Fellegi-Sunter adds comparisons as independent evidence, so each group is
    # ONE comparison with a few levels, the strongest agreement that holds.
    home = [c for c in ("address", "zip", "county_cd") if c in present]
    if home:
        levels: list[Any] = [cll.And(*[cll.NullLevel(c) for c in home])]
        if "address" in home:
            levels.append(cll.ExactMatchLevel("address", term_frequency_adjustments=True))
            levels.append(cll.JaroWinklerLevel("address", 0.9))
        levels += [cll.ExactMatchLevel(c) for c in ("zip", "county_cd") if c in home]
        comparisons.append(cl.CustomComparison(
            [*levels, cll.ElseLevel()], output_column_name="home",
            comparison_description="address exact / address JW>=0.9 / zip / county / else"))
    parent = [c for c in ("parent_first_name", "parent_last_name") if c in present]
    if parent:
        levels = [cll.And(*[cll.NullLevel(c) for c in parent])]
        if len(parent) == 2:
            levels.append(cll.And(cll.ExactMatchLevel("parent_first_name"),
                                  cll.ExactMatchLevel("parent_last_name")))
        if "parent_first_name" in parent:
            levels.append(cll.JaroWinklerLevel("parent_first_name", 0.88))
        else:
            levels.append(cll.ExactMatchLevel("parent_last_name"))
        comparisons.append(cl.CustomComparison(
            [*levels, cll.ElseLevel()], output_column_name="parent",
            comparison_description="parent first+last exact / parent first JW>=0.88 / else"))

    def rules(*specs: tuple[str, ...]) -> list[Any]:
        # A rule on a column that is empty everywhere would block nothing: leave it out.
        def cols(spec: tuple[str, ...]) -> set[str]:
            return {s.split("(")[-1].split(",")[0] for s in spec}
        return [block_on(*spec) for spec in specs if cols(spec) <= present]

    # Blocking on the child's own identifiers only; none on family fields (address, zip +
    # surname, parent names), whose blocks are mostly sibling pairs and grow with the
    # square of the family size. Together these keep a true pair that has one typo anywhere.
    # At scale 1.0 (2.5M records) they make about 70M pairs before de-duplication; the
    # biggest is DOB + surname initial (32M). Looser ones (DOB + first initial, surname +
    # birth month/day) would add 40-50M pairs each for few extra true pairs.
    prediction = rules(
        ("ssn",),
        ("dob", "substr(last_name, 1, 1)"),
        ("first_name", "dob"),
        ("first_name", "last_name", "substr(dob, 1, 4)"),
        ("last_name", "substr(first_name, 1, 1)", "substr(dob, 6, 5)"),
        ("first_name", "last_name", "county_cd"),
        ("first_name", "zip"),
        ("dob", "zip"),
    )
    prediction += rules(*extra_blocking)
    if {"first_name", "last_name"} <= present:
        # First and last name entered the wrong way round.
        prediction.append("l.first_name = r.last_name and l.last_name = r.first_name")
    deterministic = rules(("ssn", "dob"), ("first_name", "last_name", "dob"))
    # EM on blocks that each leave some comparisons free to estimate: (first, last) frees
    # DOB, SSN, sex, home, parent; DOB frees the names and the rest; SSN frees everything
    # but SSN. Without an SSN column (FEBRL without SSN) DOB is the only block that
    # estimates the names.
    training = rules(("first_name", "last_name"), ("dob",), ("ssn",))
    settings = SettingsCreator(
        link_type="link_and_dedupe",
        unique_id_column_name="record_id",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=prediction,
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )
    return settings, deterministic, training


def _oriented(pairs: pd.DataFrame) -> pd.DataFrame:
    """Scored pairs as (left_id, right_id) with the CalWORKs record on the left; cross-source
    only (within-source pairs are deduplication, not links)."""
    l_src, r_src = pairs["source_dataset_l"], pairs["source_dataset_r"]
    forward = (l_src == LEFT_SOURCE) & (r_src == RIGHT_SOURCE)
    backward = (l_src == RIGHT_SOURCE) & (r_src == LEFT_SOURCE)
    return pd.concat([
        pd.DataFrame({"left_id": pairs.loc[forward, "record_id_l"],
                      "right_id": pairs.loc[forward, "record_id_r"]}),
        pd.DataFrame({"left_id": pairs.loc[backward, "record_id_r"],
                      "right_id": pairs.loc[backward, "record_id_l"]}),
    ]).join(pairs[["match_probability", "match_weight"]])


def run(left_path: Path, right_path: Path, out: Path, stats_path: Path | None,
        match_threshold: float, review_threshold: float, u_max_pairs: float,
        em_max_pairs: float, seed: int, memory_limit: str | None = None,
        temp_limit: str = "20GB", extra_blocking: tuple[tuple[str, ...], ...] = ()
        ) -> dict[str, Any]:
    left = read_extract(left_path, PERSON_FILE)
    right = read_extract(right_path, PERSON_FILE)
    from splink import DuckDBAPI, Linker  # after the files are known good: a slow import
    from splink.internals.exceptions import EMTrainingException
    for result in (left, right):
        write_rejects(result.rejections, rejects_path(out, result.path))
        note(result.summary())
    left_df, right_df = prepare(left.data), prepare(right.data)
    del left, right  # the raw frames: a gigabyte at scale 1.0
    present = {c for c in MODEL_COLUMNS
               if left_df[c].notna().any() or right_df[c].notna().any()}
    note(f"model columns with data: {', '.join(c for c in MODEL_COLUMNS if c in present)}")

    settings, deterministic, training = build_settings(present, extra_blocking)
    db_api = DuckDBAPI()
    # DuckDB spills to disk beyond its memory limit (default 80% of RAM), by default into
    # ./.tmp and up to 90% of the free disk: keep the spill next to the output and bounded,
    # so a run that explodes fails on its own instead of filling a shared disk.
    spill = out.parent / ".splink_spill"
    db_api.duckdb_con.execute(f"SET temp_directory = '{spill}'")
    db_api.duckdb_con.execute(f"SET max_temp_directory_size = '{temp_limit}'")
    if memory_limit:
        db_api.duckdb_con.execute(f"SET memory_limit = '{memory_limit}'")
    model_cols = ["record_id", *[c for c in MODEL_COLUMNS if c in present]]
    tables = [db_api.register(left_df[model_cols], dataset_display_name=LEFT_SOURCE),
              db_api.register(right_df[model_cols], dataset_display_name=RIGHT_SOURCE)]
    linker = Linker(tables, settings, log_level=logging.WARNING)

    linker.training.estimate_probability_two_random_records_match(deterministic, recall=0.7)
    note("estimated the prior from deterministic rules")
    linker.training.estimate_u_using_random_sampling(max_pairs=u_max_pairs, seed=seed)
    note("estimated u by random sampling")
    trained = 0
    for rule in training:
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, max_pairs=em_max_pairs)
            trained += 1
        except (ValueError, EMTrainingException) as exc:
            # EM on a block of (nearly) only matches can drive an m to 0, which Splink refuses,
            # and a rule on a column one file leaves blank (an SSN only one side carries)
            # yields no pairs at all; the other training rules still estimate those m values.
            note(f"EM on {rule.get_blocking_rule('duckdb').blocking_rule_sql} skipped: "
                 f"{str(exc).splitlines()[0]}")
    note(f"estimated m by EM on {trained} of {len(training)} blocking rules")

    linker.misc.save_model_to_json(str(out.with_suffix(".model.json")), overwrite=True)
    predictions = linker.inference.predict(threshold_match_probability=review_threshold)
    note("predicted")
    # Clusters only give the persons of the stats; LINKS.csv holds the pairwise predictions
    # themselves, so a chain of links does not turn a family into one person's links.
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=match_threshold)
    cluster_frame = clusters.as_pandas_dataframe()[["cluster_id", "source_dataset", "record_id"]]
    note("clustered")

    links = _oriented(predictions.as_pandas_dataframe())
    links["decision"] = "review"
    links.loc[links["match_probability"] >= match_threshold, "decision"] = "match"
    links = links[LINK_COLUMNS].sort_values(["left_id", "right_id"], ignore_index=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    links.to_csv(out, index=False, float_format="%.6g")
    counts = links["decision"].value_counts()
    note(f"wrote {counts.get('match', 0):,} match and {counts.get('review', 0):,} review rows "
         f"to {out}")

    persons = pd.concat([
        pd.DataFrame({"source": LEFT_SOURCE, "record_id": left_df["record_id"],
                      "case_id": left_df["case_id"]}),
        pd.DataFrame({"source": RIGHT_SOURCE, "record_id": right_df["record_id"],
                      "case_id": right_df["case_id"]}),
    ]).merge(cluster_frame.rename(columns={"source_dataset": "source", "cluster_id": "person_id"}),
             on=["source", "record_id"], how="left")
    stats = match_statistics(persons)
    if stats_path is not None:
        stats_path.parent.mkdir(parents=True, exist_ok=True)
        stats_path.write_text(json.dumps(stats, indent=2) + "\n")
    return stats


@click.command()
@click.option("--left", "left_path", required=True, type=click.Path(path_type=Path),
              help="CalWORKs person records (contracts.md §1).")
@click.option("--right", "right_path", required=True, type=click.Path(path_type=Path),
              help="CWS/CMS person records (contracts.md §1).")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="LINKS.csv to write.")
@click.option("--stats", "stats_path", type=click.Path(path_type=Path),
              help="Match statistics JSON to write (contracts.md §2).")
@click.option("--match-threshold", default=0.9, show_default=True,
              help="Match probability at which records are clustered as one person.")
@click.option("--review-threshold", default=0.5, show_default=True,
              help="Cross-source pairs scored at least this (outside a cluster) are review rows.")
@click.option("--u-max-pairs", default=5e6, show_default=True,
              help="Random pairs sampled to estimate u.")
@click.option("--em-max-pairs", default=1e7, show_default=True,
              help="Upper bound on the blocked pairs of each EM training rule.")
@click.option("--seed", default=1, show_default=True, help="Seed of the u sampling.")
@click.option("--duckdb-memory-limit", "memory_limit", default="4GB", show_default=True,
              help="DuckDB memory_limit (beyond it DuckDB spills to disk next to --out).")
@click.option("--duckdb-temp-limit", "temp_limit", default="20GB", show_default=True,
              help="Most DuckDB may spill to disk (next to --out) before it gives up.")
@click.option("--extra-blocking", "extra_blocking", multiple=True,
              help="One more prediction blocking rule: columns joined by '+' that must all be "
                   "equal (e.g. dob, or first_name+zip). Repeatable.")
def main(left_path: Path, right_path: Path, out: Path, stats_path: Path | None,
         match_threshold: float, review_threshold: float, u_max_pairs: float,
         em_max_pairs: float, seed: int, memory_limit: str | None, temp_limit: str,
         extra_blocking: tuple[str, ...]) -> None:
    """Link --left to --right with Splink 5 and write LINKS.csv (and --stats)."""
    sizes = (("--duckdb-memory-limit", memory_limit), ("--duckdb-temp-limit", temp_limit))
    for hint, size in sizes:
        if size and not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", size):
            raise click.BadParameter(f"{size!r} is not a size such as 8GB", param_hint=hint)
    if not 0 < review_threshold <= match_threshold < 1:
        raise click.BadParameter("need 0 < review threshold <= match threshold < 1")
    try:
        rules = tuple(tuple(c.strip() for c in rule.split("+") if c.strip())
                      for rule in extra_blocking)
        unknown = sorted({c for rule in rules for c in rule} - set(MODEL_COLUMNS))
        if unknown:
            raise click.BadParameter(f"unknown column(s) {', '.join(unknown)}; known: "
                                     f"{', '.join(MODEL_COLUMNS)}", param_hint="--extra-blocking")
        stats = run(left_path, right_path, out, stats_path, match_threshold, review_threshold,
                    u_max_pairs, em_max_pairs, seed, memory_limit, temp_limit, rules)
    finally:
        shutil.rmtree(out.parent / ".splink_spill", ignore_errors=True)
    click.echo(f"left {stats['left_persons']:,} persons, {stats['left_match_rate']:.1%} matched; "
               f"right {stats['right_persons']:,} persons, {stats['right_match_rate']:.1%} "
               f"matched; right case persons {stats['right_case_match_rate']:.1%} matched")


if __name__ == "__main__":
    main()
