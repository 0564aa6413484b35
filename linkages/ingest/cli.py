"""``linkages ingest DIR``."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def ingest(directory: Path) -> None:
    """Load the extract files of DIRECTORY into the database.

    \b
    Files (docs/data-files.md; a .parquet file of the same name is read in place of
    the CSV), loaded in this order so that references resolve:
      calworks_cases.csv       CalWORKs cases, and their case heads as persons
      calworks_children.csv    CalWORKs children (contracts.md §1)
      calworks_aid_periods.csv aid periods of those cases
      cws_children.csv         CWS/CMS child clients (contracts.md §1 + ethnicity)
      cws_allegations.csv      allegations, and the referrals they came in on
      cws_case_components.csv  case service components, and the cases they make up
      foster_care.csv          placement episodes and their placements (contracts.md §3)
    A file that is absent is skipped with a note.

    Rows are matched to the database by their ids: new rows are inserted, changed rows
    updated, unchanged rows left alone (loading the same extract twice changes nothing).
    Rows absent from a newer extract are kept; an episode's placements are replaced
    whole when the episode changes. Only the last four digits of an SSN are stored.

    A missing required column or an unreadable file stops the command (exit 2) before
    anything is loaded. A row that cannot be used (blank or duplicate id, a line that
    cannot be parsed, a malformed required date, a reference to a case or child that is
    neither in the extract nor in the database) is set aside; a bad optional value of a
    person file (date of birth, sex, SSN, county, zip) is blanked and the row kept. Each
    problem is a line of VAR/ingest/<run id>/<file>.rejects.csv (VAR is LINKAGES_VAR_DIR,
    default var/) with the source line, the column, the reason and the action taken; each
    file's count reconciles: read = accepted + rejected.
    """
    from linkages.extracts import blanked_values
    from linkages.ingest.loader import ingest_directory

    report = ingest_directory(directory, note=lambda msg: click.echo(msg, err=True))
    for f in report.files:
        if not f.present:
            click.echo(f"{f.name}: not in {directory}, skipped")
            continue
        blanked = f"; {blanked_values(f.blanked)}" if f.blanked else ""
        click.echo(
            f"{f.name}: read {f.read:,} = accepted {f.accepted:,} + rejected {f.rejected:,}"
            f"{blanked}"
        )
        for table, c in f.tables.items():
            replaced = f", replaced {c.replaced:,}" if c.replaced else ""
            click.echo(
                f"  {table}: inserted {c.inserted:,}, updated {c.updated:,}, "
                f"unchanged {c.unchanged:,}{replaced}"
            )
    rejected = sum(f.rejected for f in report.files)
    where = f"; rejects files in {report.rejects_dir}" if rejected else ""
    click.echo(
        f"ingest run {report.run_id} finished in {report.seconds:.1f} s; "
        f"{rejected:,} rows set aside{where}"
    )
