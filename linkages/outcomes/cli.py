"""``linkages outcomes``: contracts.md §4."""

from __future__ import annotations

from pathlib import Path

import click

from linkages.outcomes.core import MeasureInputError
from linkages.outcomes.measures import ALL_DIMENSIONS, MEASURES


@click.command("outcomes")
@click.argument("measure", metavar="MEASURE")
@click.option("--foster-care", "foster_care", required=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="Foster care file (contracts.md §3), CSV or Parquet.")
@click.option("--period-start", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="First day of the first period: YYYY-01-01, -04-01, -07-01 or -10-01 (12 "
                   "months; a quarter for 2B/2D; the day itself for 4A); the first of any "
                   "month for the monthly 2F-M and 2F-LOC-M.")
@click.option("--periods", default=1, show_default=True, type=click.IntRange(min=1),
              help="Number of periods: rolling years or 4A days one quarter apart, "
                   "consecutive quarters (2B/2D) or months (2F-M).")
@click.option("--by", "by", multiple=True, type=click.Choice(ALL_DIMENSIONS),
              help="Stratify by a dimension (repeatable).")
@click.option("--links", type=click.Path(dir_okay=False, path_type=Path),
              help="LINKS.csv of `linkages match`: a CWS child is matched when a `match` row "
                   "names it as right_id. Needed by --by calworks_match and --compare-matched.")
@click.option("--compare-matched", is_flag=True,
              help="Add matched-versus-other rates, difference, ratio and 95% CIs to every cell.")
@click.option("--allegations", type=click.Path(dir_okay=False, path_type=Path),
              help="cws_allegations.csv (needed by S1 and S2).")
@click.option("--children", type=click.Path(dir_okay=False, path_type=Path),
              help="cws_children.csv: birth dates and demographics for S2.")
@click.option("--referrals", type=click.Path(dir_okay=False, path_type=Path),
              help="cws_referrals.csv: receipt and response type (2B, 2D).")
@click.option("--contacts", type=click.Path(dir_okay=False, path_type=Path),
              help="cws_contacts.csv: investigation contacts (2B, 2D).")
@click.option("--visits", type=click.Path(dir_okay=False, path_type=Path),
              help="cws_visits.csv: caseworker visits of children in placement (2F).")
@click.option("--siblings", type=click.Path(dir_okay=False, path_type=Path),
              help="cws_siblings.csv: sibling relationships (4A).")
@click.option("--placement-homes", "homes", type=click.Path(dir_okay=False, path_type=Path),
              help="cws_placement_homes.csv: the home of each placement (4A).")
@click.option("--population", type=click.Path(dir_okay=False, path_type=Path),
              help="population.csv: children by year, county, age and ethnic group (rates).")
@click.option("--agency", "agencies", multiple=True,
              help="Agency type of the cohort (repeatable): 'Child Welfare' (the default, as "
                   "California's CWS Outcomes), 'Probation', 'Other', or 'all'. With --by "
                   "agency the default is all. 2F's default is Child Welfare and Probation "
                   "(it applies to both).")
@click.option("--unmasked", is_flag=True,
              help="Show values of 1-10 (authorised users only).")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]),
              help="Machine output; without it a table for the terminal.")
@click.option("--rejects-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where <input stem>.rejects.csv files are written (default: beside each "
                   "input file). Only a file with rejected rows gets one.")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Keep the validated input files as Parquet here and reuse them while the "
                   "files are unchanged (faster repeated runs on large extracts). Only the "
                   "columns the measures read are kept: no names, SSNs or addresses.")
def outcomes(measure: str, foster_care: Path, period_start, periods: int, by: tuple[str, ...],
             links: Path | None, compare_matched: bool, allegations: Path | None,
             children: Path | None, referrals: Path | None, contacts: Path | None,
             visits: Path | None, siblings: Path | None, homes: Path | None,
             population: Path | None, agencies: tuple[str, ...], unmasked: bool,
             fmt: str | None, rejects_dir: Path | None, cache_dir: Path | None) -> None:
    """Compute a C-CFSR outcome measure: P1, P2, P3, P4, P5, S1, S2, 4B1, 4B2; 2B-IMM,
    2B-10DAY, 2D-IMM, 2D-10DAY (quarters); 2F, 2F-LOC (by year), 2F-M, 2F-LOC-M (months);
    4A-ALL, 4A-SOME, 4A-MISSING (first day of each quarter); C2.1; REF-RATE, SUB-RATE,
    ENTRY-RATE.

    Reads the files, sets bad rows aside into <stem>.rejects.csv (beside the input, or in
    --rejects-dir), prints `read = accepted + rejected` for each file on stderr, and the
    result on stdout.
    """
    from linkages.extracts import LINKS_FILE
    from linkages.outcomes import core, engine, files

    code = measure.strip().upper()
    if code not in MEASURES:
        raise click.BadParameter(f"one of {', '.join(MEASURES)}", param_hint="MEASURE")
    given = {"allegations": allegations, "referrals": referrals, "contacts": contacts,
             "visits": visits, "siblings": siblings, "homes": homes, "population": population}
    if MEASURES[code].needs_allegations and allegations is None:
        raise click.UsageError(f"{code} needs the allegation file: give --allegations FILE")
    for name in MEASURES[code].needs:
        if given[name] is None:
            raise click.UsageError(f"{code} needs {files.FILE_OPTIONS[name]}")
    if ("calworks_match" in by or compare_matched) and links is None:
        raise click.UsageError("--by calworks_match and --compare-matched need --links LINKS.csv")
    try:
        core.periods_of(MEASURES[code].period, period_start, periods)
    except MeasureInputError as exc:
        raise click.BadParameter(str(exc), param_hint="--period-start") from exc

    def load(path: Path, spec):
        result, rejects = files.read_input(path, spec, rejects_dir, cache_dir)
        note = f" (set aside in {rejects})" if rejects else ""
        click.echo(result.summary() + note, err=True)
        return result.data

    fc = load(foster_care, files.FOSTER_CARE_FILE)
    link_rows = load(links, LINKS_FILE) if links else None
    allegation_rows = load(allegations, files.ALLEGATION_FILE) if allegations else None
    child_rows = load(children, files.CWS_CHILDREN_FILE) if children else None
    extras = {name: load(given[name], spec)
              for name, (_, _, spec) in files.MEASURE_INPUTS.items() if given[name]}
    chosen = None
    if agencies:
        chosen = (core.included_agencies() if any(a.lower() == "all" for a in agencies)
                  else list(agencies))
    try:
        prepared = core.prepare(fc)
        if prepared.excluded_episodes:
            click.echo(f"{prepared.excluded_episodes:,} episodes of agency types excluded from "
                       "all analyses (out of state, private adoption, mental health, KinGAP, "
                       "missing) left out", err=True)
        result = engine.compute(code, prepared, period_start, periods, by=by, links=link_rows,
                                masked=not unmasked, allegations=allegation_rows,
                                children=child_rows, agencies=chosen,
                                compare_matched=compare_matched, extras=extras)
    except MeasureInputError as exc:
        raise click.UsageError(str(exc)) from exc
    for note in result.notes:
        click.echo(note, err=True)
    if fmt == "json":
        click.echo(result.to_json())
    elif fmt == "csv":
        click.echo(result.to_csv(), nl=False)
    else:
        click.echo(result.to_table())
