"""``linkages casework generate``: synthetic casework for the demo and the benchmark."""

from __future__ import annotations

import sys
import time
from datetime import date

import click


@click.group()
def casework() -> None:
    """Synthetic co-case-management data (demonstration and benchmark databases only)."""


@casework.command()
@click.option("--county", "counties", type=click.IntRange(1, 58), multiple=True,
              help="County code (repeatable); default every county.")
@click.option("--share", type=click.FloatRange(0.0, 1.0), default=0.5, show_default=True,
              help="Share of the identified and active mutual families given casework.")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]),
              help="The day the casework is current on (default today): meetings before it "
                   "are held, after it scheduled.")
@click.option("--staff-password-stdin", is_flag=True,
              help="Read a password for the generated staff accounts from standard input "
                   "(benchmarks sign in as them); default an unusable random one.")
def generate(counties: tuple[int, ...], share: float, seed: int, as_of: object,
             staff_password_stdin: bool) -> None:
    """Give a share of the mutual families realistic casework: staff and their assignments,
    consents, meetings, plans, services and notes, in every state. Deterministic for a seed
    and an as-of date; families that already have casework are left as they are."""
    from linkages.casework.generate import generate as run
    from linkages.config import database_url
    from linkages.db import get_engine, schema_ready

    engine = get_engine(database_url())
    if not schema_ready(engine):
        raise click.ClickException(
            "the database has no Linkages schema yet: run `linkages db upgrade` first")
    password = None
    if staff_password_stdin:
        password = sys.stdin.readline().rstrip("\r\n") or None
        if not password:
            raise click.BadParameter("no password on standard input",
                                     param_hint="--staff-password-stdin")
    day = as_of.date() if as_of is not None else date.today()  # type: ignore[attr-defined]
    begun = time.perf_counter()
    summary = run(engine, counties=list(counties) or None, share=share, seed=seed, as_of=day,
                  staff_password=password)
    rows = sum(summary.rows.values())
    click.echo(f"casework for {summary.families:,} families ({rows:,} rows, "
               f"{summary.staff_created:,} staff accounts created) as of {day.isoformat()} "
               f"in {time.perf_counter() - begun:.1f} s")
    if summary.skipped:
        click.echo(f"{summary.skipped:,} families already had casework: left as they were")
