"""Splink 5 (DuckDB) on the same files and contract as ``linkages match``: the yardstick.

    python bench/splink_runner.py --left TANF.csv --right CWS.csv --out LINKS.csv [--stats S.json]

Reads the two person files of contracts.md §1 with Linkages' own extract reader (so both
tools see the same accepted rows; rejects go next to the output) and writes LINKS.csv and the
match statistics in the shapes of contracts.md §2.

The model is the standard one a careful Splink user would build, without labels:
``link_and_dedupe`` over the two sources; Jaro-Winkler name comparisons with term-frequency
adjustments; Splink's date-of-birth comparison; SSN and zip with a typo level and
term frequencies; exact sex and county; address by Jaro-Winkler; parent first and last name.
``probability_two_random_records_match`` from deterministic rules, u by random sampling, m by
expectation maximisation on several blocking rules, prediction on a union of blocking rules,
then connected-component clustering at the match threshold. Every cross-source pair inside a
cluster is a ``match`` row (the same semantics as ours: each CalWORKs record × CWS record of a
resolved person); other cross-source pairs scored at or above the review threshold are
``review`` rows. A comparison whose column is empty in both files (e.g. FEBRL has no sex) is
left out, as a user looking at the data would.
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


def build_settings(present: set[str]) -> tuple[Any, list[Any], list[Any]]:
    """Splink settings, deterministic rules for lambda, and EM training rules, for the columns
    that hold data."""
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    candidates: dict[str, Any] = {
        "first_name": cl.NameComparison("first_name"),
        "last_name": cl.NameComparison("last_name"),
        "dob": cl.DateOfBirthComparison("dob", input_is_string=True,
                                        datetime_format="%Y-%m-%d"),
        "ssn": cl.DamerauLevenshteinAtThresholds("ssn", [1, 2]).configure(
            term_frequency_adjustments=True),
        "sex": cl.ExactMatch("sex"),
        "county_cd": cl.ExactMatch("county_cd"),
        "zip": cl.DamerauLevenshteinAtThresholds("zip", [1]).configure(
            term_frequency_adjustments=True),
        "address": cl.JaroWinklerAtThresholds("address", [0.9, 0.8]).configure(
            term_frequency_adjustments=True),
        "parent_first_name": cl.NameComparison("parent_first_name"),
        "parent_last_name": cl.NameComparison("parent_last_name"),
    }
    comparisons = [c for name, c in candidates.items() if name in present]

    def rules(*specs: tuple[str, ...]) -> list[Any]:
        # A rule on a column that is empty everywhere would block nothing: leave it out.
        def cols(spec: tuple[str, ...]) -> set[str]:
            return {s.split("(")[-1].split(",")[0] for s in spec}
        return [block_on(*spec) for spec in specs if cols(spec) <= present]

    prediction = rules(
        ("ssn",),
        ("first_name", "last_name"),
        ("first_name", "dob"),
        ("last_name", "dob"),
        ("dob", "zip"),
        ("zip", "last_name"),
        ("zip", "first_name"),
        ("parent_first_name", "parent_last_name", "substr(first_name, 1, 1)"),
        ("address",),
    )
    if {"first_name", "last_name"} <= present:
        # First and last name entered the wrong way round.
        prediction.append("l.first_name = r.last_name and l.last_name = r.first_name")
    deterministic = rules(("ssn", "dob"), ("first_name", "last_name", "dob"))
    # No EM block on a home (zip + address): there siblings outnumber the true pairs and EM
    # drifts towards "same family" instead of "same child".
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
        temp_limit: str = "20GB") -> dict[str, Any]:
    left = read_extract(left_path, PERSON_FILE)
    right = read_extract(right_path, PERSON_FILE)
    from splink import DuckDBAPI, Linker  # after the files are known good: a slow import
    for result in (left, right):
        write_rejects(result.rejections, rejects_path(out, result.path))
        note(result.summary())
    left_df, right_df = prepare(left.data), prepare(right.data)
    present = {c for c in MODEL_COLUMNS
               if left_df[c].notna().any() or right_df[c].notna().any()}
    note(f"model columns with data: {', '.join(c for c in MODEL_COLUMNS if c in present)}")

    settings, deterministic, training = build_settings(present)
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
        except ValueError as exc:
            # EM on a block of (nearly) only matches can drive an m to 0, which Splink refuses;
            # the other training rules still estimate those m values.
            note(f"EM on {rule.get_blocking_rule('duckdb').blocking_rule_sql} skipped: "
                 f"{str(exc).splitlines()[0]}")
    note(f"estimated m by EM on {trained} of {len(training)} blocking rules")

    predictions = linker.inference.predict(threshold_match_probability=review_threshold)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=match_threshold)
    note("predicted and clustered")

    scored = _oriented(predictions.as_pandas_dataframe())
    # Pairs joined only through a chain of links are scored too, so every row has a weight.
    transitive = linker.inference._score_missing_cluster_edges(clusters, predictions)
    scored_transitive = _oriented(transitive.as_pandas_dataframe())
    cluster_frame = clusters.as_pandas_dataframe()[["cluster_id", "source_dataset", "record_id"]]
    note("scored the pairs within clusters")

    in_cluster = (cluster_frame[cluster_frame["source_dataset"] == LEFT_SOURCE]
                  .merge(cluster_frame[cluster_frame["source_dataset"] == RIGHT_SOURCE],
                         on="cluster_id", suffixes=("_l", "_r"))
                  .rename(columns={"record_id_l": "left_id", "record_id_r": "right_id"})
                  [["left_id", "right_id"]])
    all_scores = pd.concat([scored, scored_transitive]).drop_duplicates(["left_id", "right_id"])
    matches = in_cluster.merge(all_scores, on=["left_id", "right_id"], how="left")
    matches["decision"] = "match"
    review = scored.merge(in_cluster, on=["left_id", "right_id"], how="left", indicator=True)
    review = review[review["_merge"] == "left_only"].drop(columns="_merge")
    review["decision"] = "review"
    links = pd.concat([matches, review], ignore_index=True)[LINK_COLUMNS]
    links = links.sort_values(["left_id", "right_id"], ignore_index=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    links.to_csv(out, index=False, float_format="%.6g")
    note(f"wrote {len(matches):,} match and {len(review):,} review rows to {out}")

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
@click.option("--u-max-pairs", default=1e7, show_default=True,
              help="Random pairs sampled to estimate u.")
@click.option("--em-max-pairs", default=1e7, show_default=True,
              help="Upper bound on the blocked pairs of each EM training rule.")
@click.option("--seed", default=1, show_default=True, help="Seed of the u sampling.")
@click.option("--duckdb-memory-limit", "memory_limit",
              help="DuckDB memory_limit, e.g. 8GB (default: DuckDB's own, 80% of RAM).")
@click.option("--duckdb-temp-limit", "temp_limit", default="20GB", show_default=True,
              help="Most DuckDB may spill to disk (next to --out) before it gives up.")
def main(left_path: Path, right_path: Path, out: Path, stats_path: Path | None,
         match_threshold: float, review_threshold: float, u_max_pairs: float,
         em_max_pairs: float, seed: int, memory_limit: str | None, temp_limit: str) -> None:
    """Link --left to --right with Splink 5 and write LINKS.csv (and --stats)."""
    sizes = (("--duckdb-memory-limit", memory_limit), ("--duckdb-temp-limit", temp_limit))
    for hint, size in sizes:
        if size and not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", size):
            raise click.BadParameter(f"{size!r} is not a size such as 8GB", param_hint=hint)
    if not 0 < review_threshold <= match_threshold < 1:
        raise click.BadParameter("need 0 < review threshold <= match threshold < 1")
    try:
        stats = run(left_path, right_path, out, stats_path, match_threshold, review_threshold,
                    u_max_pairs, em_max_pairs, seed, memory_limit, temp_limit)
    finally:
        shutil.rmtree(out.parent / ".splink_spill", ignore_errors=True)
    click.echo(f"left {stats['left_persons']:,} persons, {stats['left_match_rate']:.1%} matched; "
               f"right {stats['right_persons']:,} persons, {stats['right_match_rate']:.1%} "
               f"matched; right case persons {stats['right_case_match_rate']:.1%} matched")


if __name__ == "__main__":
    main()
