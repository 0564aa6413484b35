"""``linkages reports build``: the report snapshots of a match run (linkages.services.reports),
computed once after ``linkages match --record`` so that every report page only reads."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def reports() -> None:
    """Program managers' reports."""


@reports.command()
@click.option("--run", "run_id", type=click.IntRange(min=1),
              help="Match run of record (default: the latest not undone).")
@click.option("--extract", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="The extract directory the run linked: its foster_care.csv (and "
                   "cws_allegations.csv, cws_children.csv, and the files of the California "
                   "measures of docs/data-files.md: cws_referrals.csv, cws_contacts.csv, "
                   "cws_visits.csv, cws_siblings.csv, cws_placement_homes.csv, population.csv) "
                   "give the outcome measures for matched and other children; a measure "
                   "whose files are missing is left out with a note. Without it only the "
                   "match rates are built.")
@click.option("--period-start", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="First day of the first 12-month period (default: the last three years "
                   "the foster care file can follow).")
@click.option("--periods", type=click.IntRange(min=1), help="Rolling periods (default 9).")
def build(run_id: int | None, extract: Path | None, period_start, periods: int | None) -> None:
    """Compute and store the reports of a match run (replacing any built before)."""
    import time

    from linkages.config import database_url
    from linkages.db import get_engine, schema_ready, session_scope
    from linkages.outcomes.core import MeasureInputError
    from linkages.services import reports as service
    from linkages.services.scope import Actor, NotFound

    url = database_url()
    if not schema_ready(get_engine(url)):
        raise click.ClickException("the database has no schema: run `linkages db upgrade`")
    begun = time.perf_counter()
    try:
        with session_scope(url) as session:
            result = service.build(session, Actor.command_line(), run_id, extract,
                                   period_start.date() if period_start else None, periods)
    except NotFound as exc:
        raise click.ClickException(str(exc)) from exc
    except (FileNotFoundError, MeasureInputError) as exc:
        raise click.ClickException(str(exc)) from exc
    for note in result.notes:
        click.echo(note, err=True)
    parts = ["match rates", *(["the process report"] if result.process else []),
             *(["outcome measures"] if result.outcomes else [])]
    what = ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]
    click.echo(f"match run {result.run_id}: {what} built for {result.counties} counties in "
               f"{time.perf_counter() - begun:.1f} s", err=True)
