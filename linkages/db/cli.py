"""``linkages db``: create and upgrade the database schema."""

from __future__ import annotations

import click

from linkages.config import database_url


def _safe_url(url: str) -> str:
    """The URL without a password, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@click.group()
def db() -> None:
    """Create and upgrade the Linkages database (SQLite by default, PostgreSQL via
    LINKAGES_DATABASE_URL)."""


@db.command()
@click.option("--revision", default="head", show_default=True)
def upgrade(revision: str) -> None:
    """Apply migrations up to REVISION."""
    from linkages.db import migrate

    migrate.upgrade(revision=revision)
    click.echo(f"database {_safe_url(database_url())} at revision {migrate.current_revision()}")


@db.command()
def current() -> None:
    """Show the database's revision and the code's head revision."""
    from linkages.db import migrate

    click.echo(f"database: {migrate.current_revision() or '(empty)'}")
    click.echo(f"head:     {migrate.head_revision()}")
