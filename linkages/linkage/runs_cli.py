"""``linkages runs``: the runs of record in the database, and undoing one."""

from __future__ import annotations

import click

from linkages.extracts import ExtractError


@click.group()
def runs() -> None:
    """Runs of record (`linkages match --record`) and the registry changes they made."""


@runs.command("list")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10_000))
def list_runs(limit: int) -> None:
    """The latest runs of record, newest first, with what each did to the mutual families."""
    from linkages.services import match_runs

    try:
        rows = match_runs.list_runs(limit=limit)
    except match_runs.DatabaseNotReady as exc:
        raise ExtractError(str(exc)) from exc
    if not rows:
        click.echo("no runs of record yet (`linkages match --record` makes one)")
        return
    for run in rows:
        f = run.families
        state = f"undone {run.undone_at:%Y-%m-%d %H:%M} by {run.undone_by}" if run.undone_at \
            else "in force"
        click.echo(f"run {run.run_id}  {run.started_at:%Y-%m-%d %H:%M}  by {run.recorded_by or '?'}"
                   f"  {state}\n  {run.left_file} x {run.right_file}\n"
                   f"  families: {f.get('families_new', 0):,} new, "
                   f"{f.get('families_updated', 0):,} updated, "
                   f"{f.get('families_no_longer_matched', 0):,} no longer matched")


@runs.command()
@click.argument("run_id", type=click.IntRange(min=1))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def undo(run_id: int, yes: bool) -> None:
    """Undo the registry changes of run RUN_ID (the latest run of record that is in force):
    families it created go, the others get back their earlier status, CWS side and members.
    Audited; the run stays on record, marked undone."""
    from linkages.services import match_runs

    if not yes:
        click.confirm(f"Undo the mutual-family changes of match run {run_id}?", abort=True)
    try:
        done = match_runs.undo_match_run(run_id)
    except match_runs.DatabaseNotReady as exc:
        raise ExtractError(str(exc)) from exc
    except match_runs.CannotUndo as exc:
        raise ExtractError(f"cannot undo: {exc}") from exc
    click.echo(f"match run {run_id} undone: {done['families_deleted']:,} families it created "
               f"deleted, {done['families_kept_with_casework']:,} kept (joint work hangs on "
               f"them) and marked no longer matched, {done['families_restored']:,} restored")
