"""The ``linkages`` command.

Each subcommand lives with its own area and is imported only when it is run, so that
``linkages --help`` is instant and one area's heavy imports never slow another's.
"""

from __future__ import annotations

import importlib
import os

import click

# numpy asks the kernel for transparent huge pages for every array of 4 MB or more
# (madvise). Where the kernel then compacts memory to find them (THP defrag "madvise", a
# common default), a statewide match, which makes and frees many arrays of tens of millions
# of values, spent 31 s in the kernel with them and 13 s without (205 s and 184 s in all):
# off for the command, set before any subcommand imports numpy (NUMPY_MADVISE_HUGEPAGE=1 in
# the environment keeps them).
os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")

# name -> "module:attribute" of a click command
SUBCOMMANDS: dict[str, str] = {
    "db": "linkages.db.cli:db",
    "synth": "linkages.synth.cli:synth",
    "ingest": "linkages.ingest.cli:ingest",
    "match": "linkages.linkage.cli:match",
    "evaluate": "linkages.linkage.cli:evaluate",
    "explain": "linkages.linkage.cli:explain",
    "runs": "linkages.linkage.runs_cli:runs",
    "outcomes": "linkages.outcomes.cli:outcomes",
    "users": "linkages.services.cli:users",
    "export": "linkages.exports.cli:export",
    "casework": "linkages.casework.cli:casework",
    "reports": "linkages.reports.cli:reports",
    "serve": "webapp.cli:serve",
}


class LazyGroup(click.Group):
    """A click group that imports each subcommand on first use (click's documented pattern)."""

    def __init__(self, *args: object, lazy: dict[str, str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self._lazy])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self._lazy:
            module_name, attr = self._lazy[cmd_name].split(":")
            return getattr(importlib.import_module(module_name), attr)
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, lazy=SUBCOMMANDS)
@click.version_option(package_name="linkages")
def main() -> None:
    """Linkages: find, work and measure the families CalWORKs and Child Welfare share."""
