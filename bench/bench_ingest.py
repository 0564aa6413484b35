"""How long ``linkages ingest`` takes on a synthetic extract, and how much memory it needs.

    .venv/bin/python bench/bench_ingest.py --scale 0.01 --scale 0.1 [--database sqlite]
                                           [--database postgresql]

For each scale: ``linkages synth`` writes an extract (kept under bench/out/ingest/ for reuse),
then, on a fresh database of each kind, ``linkages ingest`` runs three times, each in its own
measured child process (wall time, peak RSS): the first load, the same extract again (every
row unchanged), and a newer extract where 1% of the CalWORKs children changed address and 1%
are new. Prints a table and writes bench/out/ingest.json. PostgreSQL is the server of the
tests (LINKAGES_TEST_POSTGRES_URL, default 127.0.0.1:5432), in a database of its own.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import LINKAGES, OUT_DIR, run_measured

POSTGRES_ADMIN_URL = os.environ.get(
    "LINKAGES_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BENCH_DB = "linkages_bench_ingest"


def extract(scale: float, seed: int) -> Path:
    out = OUT_DIR / "ingest" / f"synth-{scale:g}-seed{seed}"
    if not (out / "foster_care.csv").exists():
        subprocess.run([LINKAGES, "synth", "--out", str(out), "--scale", str(scale),
                        "--seed", str(seed)], check=True)
    return out


def newer_extract(base: Path) -> tuple[Path, int]:
    """A copy of ``base`` where 1% of CalWORKs children moved and 1% more are new."""
    out = base.with_name(base.name + "-newer")
    out.mkdir(exist_ok=True)
    for f in base.iterdir():
        if f.is_file() and f.name != "calworks_children.csv":
            target = out / f.name
            if not target.exists():
                target.symlink_to(f.resolve())
    children = pd.read_csv(base / "calworks_children.csv", dtype=str, keep_default_na=False)
    n = max(1, len(children) // 100)
    children.loc[children.index[:n], "address"] = "1 NEW ADDRESS WAY"
    new = children.iloc[n:2 * n].copy()
    new["record_id"] = new["record_id"] + "-NEW"
    pd.concat([children, new]).to_csv(out / "calworks_children.csv", index=False)
    return out, n


def database(kind: str, work: Path) -> str:
    if kind == "sqlite":
        path = work / "bench.db"
        path.unlink(missing_ok=True)
        return f"sqlite:///{path}"
    admin = make_url(POSTGRES_ADMIN_URL)
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{BENCH_DB}"'))
    engine.dispose()
    return admin.set(database=BENCH_DB).render_as_string(hide_password=False)


def rows_in(directory: Path) -> int:
    return sum(sum(1 for _ in f.open()) - 1 for f in directory.glob("*.csv")
               if f.name != "truth.csv")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, action="append")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], action="append")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    results = []
    for scale in args.scale or [0.01]:
        base = extract(scale, args.seed)
        newer, changed = newer_extract(base)
        for kind in args.database or ["sqlite", "postgresql"]:
            work = OUT_DIR / "ingest" / f"run-{scale:g}-{kind}"
            work.mkdir(parents=True, exist_ok=True)
            url = database(kind, work)
            env = {"LINKAGES_DATABASE_URL": url, "LINKAGES_VAR_DIR": str(work / "var")}
            subprocess.run([LINKAGES, "db", "upgrade"], check=True, env={**os.environ, **env},
                           stdout=subprocess.DEVNULL)
            row = {"scale": scale, "database": kind, "rows": rows_in(base)}
            for step, directory in (("first", base), ("again", base), ("newer", newer)):
                run = run_measured([LINKAGES, "ingest", str(directory)],
                                   work / f"{step}.log", env=env)
                if not run.ok:
                    sys.exit(f"ingest failed ({step}, {kind}, scale {scale}); see {run.log}")
                row[f"{step}_seconds"] = round(run.wall_seconds, 2)
                row[f"{step}_peak_mb"] = round(run.peak_rss_mb)
            row["newer_changed_and_new"] = changed
            results.append(row)
            print(json.dumps(row), flush=True)
    table = pd.DataFrame(results)
    print(table.to_string(index=False))
    (OUT_DIR / "ingest.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
