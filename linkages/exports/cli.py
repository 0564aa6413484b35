"""``linkages export``: evaluators' de-identified linked-cohort exports from the command line."""

from __future__ import annotations

import shutil
from contextlib import AbstractContextManager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def _session() -> AbstractContextManager[Session]:
    from linkages.config import database_url
    from linkages.db import get_engine, schema_ready, session_scope

    url = database_url()
    if not schema_ready(get_engine(url)):
        raise click.ClickException(
            "the database has no Linkages schema yet: run `linkages db upgrade` first")
    return session_scope(url)


@click.group()
def export() -> None:
    """De-identified linked-cohort exports for evaluators."""


@export.command()
@click.option("--from", "start", required=True, type=click.DateTime(["%Y-%m-%d"]),
              help="First day of the period (YYYY-MM-DD).")
@click.option("--to", "end", required=True, type=click.DateTime(["%Y-%m-%d"]),
              help="Last day of the period, inclusive.")
@click.option("--county", "counties", multiple=True, type=click.IntRange(1, 58),
              help="County code (repeat for several). None: every county the evaluator sees.")
@click.option("--for", "owner", required=True,
              help="Username of the evaluator it is for: only she downloads it, in the app.")
@click.option("--link-days", default=7, show_default=True, type=click.IntRange(1, 90),
              help="Days until its download links expire.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Also copy the files into this directory.")
def cohort(start: object, end: object, counties: tuple[int, ...], owner: str,
           link_days: int, out: Path | None) -> None:
    """Export the linked cohort: one row per CWS child of the counties with CWS activity in the
    period; identifiers pseudonymised, dates shifted, as CSV and Parquet with a data
    dictionary, a masked summary and a manifest (row counts, SHA-256 of each file, the match
    run, the measure definitions' version, the parameters). Stored under var/exports/<id>/."""
    from sqlalchemy import select

    from linkages.models import User
    from linkages.services import exports
    from linkages.services.scope import Actor, PermissionDenied

    assert isinstance(start, date) and isinstance(end, date)
    try:
        with _session() as session:
            user = session.scalar(select(User).where(User.username == owner.strip().lower()))
            if user is None:
                raise click.BadParameter(f"no account {owner!r}", param_hint="--for")
            row = exports.create_export(
                session, Actor.command_line(), counties=list(counties) or None,
                start=start.date(), end=end.date(), owner=user, link_days=link_days)
            export_id, rows, expires = row.id, row.row_count, row.expires_at
            run = row.match_run_id
    except exports.ExportError as exc:
        hint = {"start": "--from", "end": "--to", "counties": "--county",
                "owner": "--for", "link_days": "--link-days"}.get(exc.field)
        raise click.BadParameter(exc.message, param_hint=hint) from exc
    except PermissionDenied as exc:
        raise click.ClickException(str(exc)) from exc
    directory = exports.exports_dir() / str(export_id)
    click.echo(f"export {export_id} for {owner}: {rows:,} children, {start:%Y-%m-%d} to "
               f"{end:%Y-%m-%d}, match run {run if run is not None else 'none'}")
    click.echo(f"files in {directory}; download links expire {expires:%Y-%m-%d %H:%M} UTC")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        for path in sorted(directory.iterdir()):
            shutil.copy2(path, out / path.name)
        click.echo(f"copied to {out}")


@export.command()
def purge() -> None:
    """Delete the files of every expired export (its record stays, and its audit)."""
    from linkages.services import exports
    from linkages.services.scope import Actor

    with _session() as session:
        count = exports.purge_expired(session, Actor.command_line())
    click.echo(f"{count} expired {'export' if count == 1 else 'exports'} purged")

