"""``linkages synth``: write a synthetic California population as extract files."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("synth")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory to write the extract files into (created if missing).",
)
@click.option(
    "--scale",
    type=click.FloatRange(min=0.0, min_open=True, max=2.0),
    default=0.01,
    show_default=True,
    help="Fraction of the statewide population (1.0 = statewide).",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    help="Random seed; the same seed and scale give byte-identical files.",
)
@click.option("--quiet", is_flag=True, help="No stage lines on stderr.")
def synth(out: Path, scale: float, seed: int, quiet: bool) -> None:
    """Generate a synthetic population: CalWORKs children, cases and aid; CWS/CMS children,
    allegations, case components and foster care; and the truth (docs/data-files.md)."""
    from linkages.synth.generate import generate

    written = generate(out, scale, seed, progress=not quiet)
    click.echo(f"synth: scale {scale:g}, seed {seed} -> {out}")
    for name, rows in written.items():
        if not name.startswith("stats."):
            click.echo(f"  {name:28s} {rows:>12,} rows")
    click.echo(
        "  seed-004 statistics (truth_stats.json): "
        f"CalWORKs in CWS {written['stats.left_match_rate']:.1%}, "
        f"CWS in CalWORKs {written['stats.right_match_rate']:.1%}, "
        f"CWS cases in CalWORKs {written['stats.right_case_match_rate']:.1%}"
    )
