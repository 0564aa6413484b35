"""``linkages users``: create accounts, and the demonstration accounts."""

from __future__ import annotations

import sys
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

import click

from linkages.models.enums import Program, Role

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

DEMO_PASSWORD = "linkages-demo-password"


def _read_password(password_stdin: bool, username: str) -> str:
    if password_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            raise click.BadParameter("no password on standard input", param_hint="--password-stdin")
        return password
    return click.prompt(f"Password for {username}", hide_input=True, confirmation_prompt=True)


def _open_session() -> AbstractContextManager[Session]:
    from linkages.config import database_url
    from linkages.db import get_engine, schema_ready, session_scope

    # The URL is resolved here, once: the engine cache is keyed by the URL it is given.
    url = database_url()
    if not schema_ready(get_engine(url)):
        raise click.ClickException(
            "the database has no Linkages schema yet: run `linkages db upgrade` first"
        )
    return session_scope(url)


@click.group()
def users() -> None:
    """Manage the accounts of the Linkages web app."""


@users.command()
@click.option("--username", required=True, help="Sign-in name (lower case, e.g. jdoe).")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--county", "county_cd", type=click.IntRange(1, 58),
              help="County code 1-58 (10 Fresno, 19 Los Angeles). Blank = statewide, "
                   "only for evaluators and administrators.")
@click.option("--program", type=click.Choice([p.value for p in Program]),
              help="Program of the worker (implied by the worker roles).")
@click.option("--name", "display_name", required=True, help="Name shown in the app.")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input instead of "
                   "prompting.")
def create(username: str, role: str, county_cd: int | None, program: str | None,
           display_name: str, password_stdin: bool) -> None:
    """Create a user account. Prompts for the password (twice) unless --password-stdin."""
    from linkages.services.scope import Actor
    from linkages.services.users import UserError, create_user

    password = _read_password(password_stdin, username)
    try:
        with _open_session() as session:
            user = create_user(
                session, Actor.command_line(), username=username, password=password,
                display_name=display_name, role=Role(role), county_cd=county_cd,
                program=Program(program) if program else None,
            )
            click.echo(f"created user {user.username} ({Role(role).label}, "
                       f"{_county_label(user.county_cd)})")
    except UserError as exc:
        raise click.BadParameter(exc.message, param_hint=f"--{exc.field}") from exc


@users.command()
@click.option("--password-stdin", is_flag=True,
              help=f"Read the demo password from standard input (default: {DEMO_PASSWORD}).")
@click.option("--force", is_flag=True,
              help="Make them even though the database holds other accounts.")
def demo(password_stdin: bool, force: bool) -> None:
    """Create or reset one demonstration account per role and print them. For training and
    test databases only: the password is published, so a database that holds any other
    account is refused unless --force."""
    from linkages.services.scope import SECOND_FACTOR_ROLES, Actor
    from linkages.services.users import NotADemoDatabase, UserError, ensure_demo_accounts

    password = _read_password(True, "demo") if password_stdin else DEMO_PASSWORD
    try:
        with _open_session() as session:
            accounts = ensure_demo_accounts(session, Actor.command_line(), password, force=force)
            rows = [(u.username, Role(u.role).label, _program_label(u.program, Role(u.role)),
                     _county_label(u.county_cd)) for u in accounts]
            required = [u.username for u in accounts if Role(u.role) in SECOND_FACTOR_ROLES]
    except NotADemoDatabase as exc:
        raise click.ClickException(str(exc)) from exc
    except UserError as exc:
        raise click.BadParameter(exc.message, param_hint="--password-stdin") from exc
    header = ("username", "role", "program", "county")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(4)]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        click.echo("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    shown = "(as given on standard input)" if password_stdin else password
    click.echo(f"\npassword for every demo account: {shown}")
    if required:
        click.echo(
            f"\n{', '.join(required)} must also use two-factor sign-in. At the first sign-in\n"
            "the app shows a QR code and a key: scan it with an authenticator app (Microsoft or\n"
            "Google Authenticator, FreeOTP), or, with no phone at hand, print the current code\n"
            "from the key on this machine:\n"
            "  .venv/bin/python -c 'import pyotp; print(pyotp.TOTP(\"THE KEY\").now())'\n"
            "and save the recovery codes it then shows. `linkages users demo` sets it up afresh.")


@users.command()
@click.argument("username")
@click.option("--off", is_flag=True, help="Take the reviewer's designation away.")
def reviewer(username: str, off: bool) -> None:
    """Designate USERNAME a clerical reviewer of her county's uncertain pairs (a worker or
    supervisor; program managers review without it)."""
    from linkages.services.scope import Actor
    from linkages.services.users import UserError, set_reviewer

    try:
        with _open_session() as session:
            user = set_reviewer(session, Actor.command_line(), username, not off)
            click.echo(f"{user.username} is {'no longer ' if off else ''}a clerical reviewer")
    except UserError as exc:
        raise click.BadParameter(exc.message, param_hint="USERNAME") from exc


def _county_label(county_cd: int | None) -> str:
    from linkages.codes import county_name

    return "statewide" if county_cd is None else f"{county_cd} {county_name(county_cd)}"


def _program_label(program: Program | None, role: Role) -> str:
    if program is not None:
        return program.value
    return "both" if role is Role.PROGRAM_MANAGER else "-"
