"""`linkages match`, `linkages evaluate` and `linkages explain` (contracts.md §2).

LINKS.csv holds the five contract columns, then ``basis`` (``model``: the pair's own weight
decided it; ``cluster``: linked through the resolved person, e.g. the second CalWORKs record
of a child; ``clerical``: confirmed by a worker; ``sibling_guard``: a review pair the
twin/sibling guard held back from `match`), ``rivals`` (log2 of one plus the odds of the two
records' other candidates, less the one-to-one prior's lift where the files hold no families:
match_probability is the probability of prior log2 odds + match_weight − rivals,
matching.compete) and one ``w_<field>`` column per compared field:
its contribution to match_weight (they sum to it). The fitted model (m, u, priors,
thresholds, blocking passes) is written beside it as ``<LINKS>.model.json``; `explain` can
reuse it with ``--model``. ``<LINKS>.records.parquet`` holds each record's fingerprint and
person: with both, a later ``linkages match --previous LINKS.csv`` links a new extract
incrementally (matching.incremental).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click
import numpy as np
import pandas as pd

from linkages.config import config_dir
from linkages.extracts import (
    LINKS_FILE,
    PERSON_FILE,
    TRUTH_FILE,
    ExtractError,
    ExtractResult,
    read_extract,
    rejects_path,
    write_rejects,
)


def _settings(config: str | None):  # type: ignore[no-untyped-def]
    from matching import MatchSettings

    path = Path(config) if config else config_dir() / "matching.yaml"
    try:
        return MatchSettings.from_yaml(path)
    except ValueError as exc:
        raise ExtractError(str(exc)) from exc


def _read(path: str, out: Path) -> ExtractResult:
    result = read_extract(path, PERSON_FILE)
    if result.rejections:
        write_rejects(result.rejections, rejects_path(out, path))
    click.echo(result.summary() + (f" (rejects: {rejects_path(out, path)})"
                                   if result.rejections else ""), err=True)
    return result


def _clerical() -> pd.DataFrame | None:
    """Reviewed pairs from the database, if there is one (read only: a run that is not of
    record writes nothing there). No database schema is a note, not a failure."""
    from linkages.services import match_runs

    try:
        return match_runs.clerical_decisions()
    except match_runs.DatabaseNotReady:
        click.echo("note: no clerical decisions read: the database has no schema", err=True)
        return None


def _check_record(left: ExtractResult, right: ExtractResult) -> None:
    """Before any linking: a run of record needs the database, and the ingested extract."""
    from linkages.services import match_runs

    try:
        match_runs.check_extract_of_record(left.data["record_id"].astype(str),
                                           right.data["record_id"].astype(str))
    except match_runs.DatabaseNotReady as exc:
        raise ExtractError(f"--record: {exc}") from exc
    except match_runs.NotTheIngestedExtract as exc:
        raise ExtractError(f"--record: {exc}") from exc


def _record(result: Any, left: str, right: str, config: str | None) -> None:
    from linkages.services import match_runs

    run = match_runs.record_match_run(result, left_file=left, right_file=right, config=config)
    f = run.families
    click.echo(f"recorded as match run {run.run_id}: mutual families {f['families_new']:,} new, "
               f"{f['families_updated']:,} updated, {f['families_no_longer_matched']:,} no "
               f"longer matched, {f['families_outside_run']:,} outside the run and left as "
               f"they were (undo with `linkages runs undo {run.run_id}`)", err=True)


def _write_links(links: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    links.to_csv(path, index=False, float_format="%.6g")


@click.command()
@click.option("--left", "left_path", required=True, type=click.Path(dir_okay=False),
              help="CalWORKs children (person records, contracts.md §1).")
@click.option("--right", "right_path", required=True, type=click.Path(dir_okay=False),
              help="CWS/CMS children (person records, contracts.md §1).")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False),
              help="LINKS.csv to write.")
@click.option("--stats", "stats_path", type=click.Path(dir_okay=False),
              help="Match statistics JSON to write.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, exists=True),
              help="Matching settings YAML (default: config/matching.yaml).")
@click.option("--previous", "previous_path", type=click.Path(dir_okay=False, exists=True),
              help="LINKS.csv of an earlier run on an earlier extract: link incrementally, "
                   "comparing only the records new or changed since (its .model.json and "
                   ".records.parquet must be beside it).")
@click.option("--record", is_flag=True,
              help="A run of record: the files must be the extract `linkages ingest` loaded; "
                   "the run, its links and persons are stored and the mutual families it "
                   "covers are brought up to date (undo with `linkages runs undo`). Without "
                   "it the database is only read (clerical decisions), never written.")
@click.option("--progress/--no-progress", default=True, show_default=True,
              help="Progress bar on stderr.")
def match(left_path: str, right_path: str, out_path: str, stats_path: str | None,
          config_path: str | None, previous_path: str | None, record: bool,
          progress: bool) -> None:
    """Link CalWORKs children (LEFT) to CWS/CMS children (RIGHT) and deduplicate each side.

    Writes LINKS.csv and the statistics. Only with --record does it change the database."""
    from matching import link_records, prepare
    from matching.incremental import fingerprints, link_records_incremental, records_frame

    out = Path(out_path)
    settings = _settings(config_path)
    previous = _previous_run(Path(previous_path)) if previous_path else None
    left = _read(left_path, out)
    right = _read(right_path, out)
    if record:
        _check_record(left, right)
    clerical = _clerical()
    show = progress and sys.stderr.isatty()
    counts = {side: (res.read, res.accepted, res.rejected, res.blanked)
              for side, res in (("left", left), ("right", right))}
    started = time.perf_counter()
    rec = prepare(left.data, right.data, settings)
    fingerprint = np.concatenate([fingerprints(left.data), fingerprints(right.data)])
    standardise_seconds = round(time.perf_counter() - started, 3)
    # The files as read are no longer needed: at statewide scale they are over a gigabyte.
    del left, right
    if previous is None:
        result = link_records(rec, settings, clerical, show)
    else:
        result = link_records_incremental(rec, fingerprint, previous, settings, clerical, show)
    result.timings = {"standardise": standardise_seconds, **result.timings}
    _write_links(result.links, out)
    # What the next incremental run needs: each record's fingerprint and person.
    records_frame(result.persons, fingerprint).to_parquet(out.with_suffix(".records.parquet"),
                                                          index=False)
    model_path = out.with_suffix(".model.json")
    model_path.write_text(json.dumps(_jsonable({**result.parameters,
                                                "timings": result.timings,
                                                "blocking": result.blocking}), indent=2))
    stats = {**result.stats}
    for side, (read, accepted, rejected, blanked) in counts.items():
        stats[f"{side}_read"] = read
        stats[f"{side}_accepted"] = accepted
        stats[f"{side}_rejected"] = rejected
        stats[f"{side}_blanked"] = blanked
    stats["blocking"] = result.blocking
    stats["timings"] = result.timings
    if stats_path:
        Path(stats_path).parent.mkdir(parents=True, exist_ok=True)
        Path(stats_path).write_text(json.dumps(_jsonable(stats), indent=2))
    n_match = int((result.links["decision"] == "match").sum())
    n_review = int((result.links["decision"] == "review").sum())
    click.echo(
        f"{out}: {n_match:,} match and {n_review:,} review pairs; "
        f"left {stats['left_persons']:,} persons ({stats['left_match_rate']:.1%} matched), "
        f"right {stats['right_persons']:,} persons ({stats['right_match_rate']:.1%} matched); "
        f"expected false matches {stats['expected_false_matches']:,.1f}, "
        f"expected missed {stats['expected_missed_matches']:,.1f}", err=True)
    if stats["m_not_estimated"]:
        click.echo(f"note: the files gave too few certain pairs to estimate how often one "
                   f"child's records disagree on {', '.join(stats['m_not_estimated'])}: "
                   f"those weights are the starting guess, and the expected errors above "
                   f"rest on it", err=True)
    if record:
        _record(result, left_path, right_path, config_path)


def _previous_run(links_path: Path):  # type: ignore[no-untyped-def]
    """The earlier run ``--previous`` names: its LINKS.csv, model and records files."""
    from matching.incremental import PreviousRun

    model_path = links_path.with_suffix(".model.json")
    records_path = links_path.with_suffix(".records.parquet")
    for needed in (model_path, records_path):
        if not needed.exists():
            raise ExtractError(f"{needed}: not found; --previous needs the files "
                               "`linkages match` writes beside LINKS.csv")
    links = read_extract(links_path, LINKS_FILE)
    if links.rejections:
        first = links.rejections[0]
        raise ExtractError(f"{links_path}: {links.rejected} rows are not valid LINKS rows, the "
                           f"first at line {first.line}, column {first.column}: {first.reason} "
                           "(--previous needs an earlier run's LINKS.csv as it was written)")
    try:
        parameters = json.loads(model_path.read_text(encoding="utf-8"))
        records = pd.read_parquet(records_path)
        return PreviousRun.from_saved(parameters, links.data, records)
    except (OSError, ValueError, KeyError) as exc:
        raise ExtractError(f"{links_path}: cannot use the earlier run ({exc})") from exc


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


@click.command()
@click.option("--links", "links_path", required=True, type=click.Path(dir_okay=False,
                                                                         exists=True))
@click.option("--truth", "truth_path", required=True, type=click.Path(dir_okay=False,
                                                                         exists=True))
@click.option("--left", "left_path", type=click.Path(dir_okay=False, exists=True),
              help="With --right: also measure the blocking recall.")
@click.option("--right", "right_path", type=click.Path(dir_okay=False, exists=True))
@click.option("--stats", "stats_path", type=click.Path(dir_okay=False, exists=True),
              help="Stats JSON of the run, to compare its match rates with the truth.")
@click.option("--truth-stats", "truth_stats_path", type=click.Path(dir_okay=False, exists=True),
              help="truth_stats.json (default: beside the truth file, if there).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, exists=True))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def evaluate(links_path: str, truth_path: str, left_path: str | None, right_path: str | None,
             stats_path: str | None, truth_stats_path: str | None, config_path: str | None,
             as_json: bool) -> None:
    """Precision, recall and F1 of the `match` links of LINKS against a truth file."""
    from matching.evaluation import blocking_recall, evaluate_links, match_rate_errors

    inputs = [read_extract(links_path, LINKS_FILE), read_extract(truth_path, TRUTH_FILE)]
    for result in inputs:
        click.echo(result.summary(), err=True)
        if result.rejections:
            where = write_rejects(result.rejections, rejects_path(links_path, result.path))
            click.echo(f"  rejected rows and reasons: {where}", err=True)
    links, truth = (result.data for result in inputs)
    out: dict[str, Any] = dict(evaluate_links(links, truth))
    if stats_path:
        ts_path = Path(truth_stats_path) if truth_stats_path else \
            Path(truth_path).with_name("truth_stats.json")
        if ts_path.exists():
            out["match_rate_errors_pp"] = match_rate_errors(
                json.loads(Path(stats_path).read_text()), json.loads(ts_path.read_text()))
    if left_path and right_path:
        from matching.blocking import block, cross_pairs
        from matching.standardise import load_nicknames, standardise

        settings = _settings(config_path)
        left = read_extract(left_path, PERSON_FILE).data
        right = read_extract(right_path, PERSON_FILE).data
        rec = standardise(left, right, load_nicknames(settings.nicknames_path))
        cand = block(rec, settings.passes, settings.max_block)
        out["candidate_pairs"] = len(cand)
        out["blocking_recall"] = blocking_recall(cross_pairs(rec, cand), truth)
    if as_json:
        click.echo(json.dumps(_jsonable(out), indent=2))
        return
    for key, value in out.items():
        if isinstance(value, float):
            click.echo(f"{key:>24}: {value:.6f}")
        else:
            click.echo(f"{key:>24}: {value}")


@click.command()
@click.argument("left_id")
@click.argument("right_id")
@click.option("--left", "left_path", required=True, type=click.Path(dir_okay=False))
@click.option("--right", "right_path", required=True, type=click.Path(dir_okay=False))
@click.option("--config", "config_path", type=click.Path(dir_okay=False, exists=True))
@click.option("--model", "model_path", type=click.Path(dir_okay=False, exists=True),
              help="A <LINKS>.model.json written by `linkages match` (else the model is "
                   "fitted on the two files again, as `match` fits it).")
@click.option("--json", "as_json", is_flag=True)
def explain(left_id: str, right_id: str, left_path: str, right_path: str,
            config_path: str | None, model_path: str | None, as_json: bool) -> None:
    """Field-by-field contributions to the match weight of one (LEFT_ID, RIGHT_ID) pair."""
    from matching import explain as explain_pair
    from matching.compare import FIELD_NAMES
    from matching.estimate import Model

    settings = _settings(config_path)
    left = read_extract(left_path, PERSON_FILE).data
    right = read_extract(right_path, PERSON_FILE).data
    model, threshold = None, None
    if model_path:
        saved = json.loads(Path(model_path).read_text())
        model = Model.from_dict(saved["model"], FIELD_NAMES)
        threshold = saved.get("thresholds", {}).get("match_probability")
    try:
        result = explain_pair(left, right, left_id, right_id, settings, model, threshold)
    except KeyError as exc:
        raise ExtractError(str(exc.args[0])) from exc
    if as_json:
        click.echo(json.dumps(_jsonable(result), indent=2))
        return
    click.echo(f"{'field':<18} {'level':<44} {'weight':>8} {'tf adj':>8} {'total':>8}")
    running = 0.0
    for row in result["fields"]:
        running += row["contribution"]
        click.echo(f"{row['field']:<18} {row['level']:<44} {row['weight']:>8.3f} "
                   f"{row['tf_adjustment']:>8.3f} {row['contribution']:>8.3f}")
    click.echo(f"{'match weight':<71} {result['match_weight']:>8.3f}")
    click.echo(f"{'prior (log2 odds)':<71} {result['prior_weight']:>8.3f}")
    lift = result["one_to_one_prior"]
    if lift:
        click.echo(f"{'one-to-one prior: records matched in each file (log2 odds added)':<71} "
                   f"{lift:>8.3f}")
    click.echo(f"{'rivals: other candidates of these records (log2 odds taken off)':<71} "
               f"{-(result['rivals'] + lift):>8.3f}")
    for rival in result["rival_pairs"]:
        click.echo(f"  rival pair {rival['left_id']} / {rival['right_id']}: probability "
                   f"{rival['probability_alone']:.4f} alone, {rival['match_probability']:.4f} "
                   "with its own rivals")
    note = ""
    if result["sibling_guard"]:
        note = " (same-family guard: first names differ, same parent)"
    elif result["held_back"]:
        note = (f" (the child's own identifiers give only {result['person_weight']:.1f} bits:"
                " family evidence alone)")
    click.echo(f"match probability {result['match_probability']:.6f} (match threshold "
               f"{result['match_threshold']:.4f}); decision "
               f"{result['decision']}{note}")
