"""Report pages and the review queue on a loaded database: p50/p95 over repeated requests.

    .venv/bin/python bench/bench_reports.py --url postgresql+psycopg://postgres@127.0.0.1:5432/DB \\
        [--extract DIR] [--build] [--repeat 30]

The database holds an ingested extract and a match run of record (e.g. a copy of the
statewide ``linkages_bench_casework`` database of bench/bench_casework.py, upgraded with
``linkages db upgrade``). With ``--build`` the reports of the latest run are built first
(``linkages reports build --extract DIR``, timed in a child process). Then, in this process,
the app (``create_app``) is signed into as a county program manager (the county with the most
mutual families; she is also the reviewer) and as a statewide evaluator, through the real
sign-in form and second factor, and each page is requested ``--repeat`` times with Flask's
test client: the whole Flask stack and the database, no HTTP socket or WSGI server.
Bench accounts (``bench-pm``, ``bench-evaluator``) are created or reset in the database; review
decisions are not made (the pair pages are only read). Then the process report's figures are
computed in the database ``--repeat`` times, for the state and the county: what the process page
costs when the casework has changed since its snapshot. Prints p50/p95 per page and writes
bench/out/reports.json. Targets: report pages p95 < 1 s, a review pair p95 < 150 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pyotp
from sqlalchemy import func, select, update

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import LINKAGES, OUT_DIR, run_measured

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
PASSWORD = "bench-reports-password-0123456789"
REPORT_TARGET_MS, PAIR_TARGET_MS = 1000.0, 150.0


def _accounts(url: str) -> int:
    """The bench accounts, and the county they manage: the one with the most families."""
    from linkages.db import session_scope
    from linkages.keys import totp_cipher
    from linkages.models import MutualFamily, User
    from linkages.models.enums import Role
    from linkages.services.users import hash_password

    with session_scope(url) as session:
        county = session.execute(select(MutualFamily.county_cd).group_by(MutualFamily.county_cd)
                                 .order_by(func.count().desc()).limit(1)).scalar_one()
        for name, role, cd in (("bench-pm", Role.PROGRAM_MANAGER, county),
                               ("bench-evaluator", Role.EVALUATOR, None)):
            user = session.scalars(select(User).where(User.username == name)).first()
            if user is None:
                user = User(username=name, display_name=name, password_hash="x", role=role)
                session.add(user)
            user.password_hash = hash_password(PASSWORD)
            user.role, user.county_cd, user.active = role, cd, True
            user.failed_logins, user.locked_until = 0, None
            user.totp_secret = totp_cipher().encrypt(SECRET.encode()).decode()
            user.totp_enabled_at, user.totp_last_step = datetime.now(UTC), None
        return int(county)


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'type="hidden" name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token"
    return match.group(1)


def _sign_in(app, url: str, username: str):  # type: ignore[no-untyped-def]
    from linkages.db import session_scope
    from linkages.models import User

    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    response = client.post("/login", data={"username": username, "password": PASSWORD,
                                           "csrf_token": _csrf(page)})
    assert response.headers.get("Location") == "/login/code", response.status
    with session_scope(url) as s:
        s.execute(update(User).where(User.username == username).values(totp_last_step=None))
    page = client.get("/login/code").get_data(as_text=True)
    client.post("/login/code", data={"code": pyotp.TOTP(SECRET).now(),
                                     "csrf_token": _csrf(page)})
    assert client.get("/reports/").status_code == 200
    return client


def _time(client, path: str, repeat: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        begun = time.perf_counter()
        response = client.get(path)
        body = response.get_data()
        times.append((time.perf_counter() - begun) * 1000)
        assert response.status_code == 200, (path, response.status_code)
        assert body
    return _stats(times)


def _stats(times: list[float]) -> dict[str, float]:
    times = sorted(times)
    return {"p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[max(0, round(0.95 * len(times)) - 1)], 1),
            "max_ms": round(times[-1], 1), "n": len(times)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="SQLAlchemy URL of the loaded database")
    parser.add_argument("--extract", type=Path, help="the extract the run linked (for --build)")
    parser.add_argument("--build", action="store_true", help="build the reports first")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    os.environ["LINKAGES_DATABASE_URL"] = args.url
    out: dict = {"url": re.sub(r"//[^@]*@", "//", args.url), "repeat": args.repeat}
    if args.build:
        command = [LINKAGES, "reports", "build"]
        if args.extract:
            command += ["--extract", str(args.extract)]
        run = run_measured(command, OUT_DIR / "reports-build.log",
                           env={**os.environ, "LINKAGES_DATABASE_URL": args.url})
        assert run.ok, (OUT_DIR / "reports-build.log").read_text()
        out["build"] = {"wall_s": run.wall_seconds, "peak_mb": run.peak_rss_mb}
        print(f"reports build: {run.wall_seconds:.1f} s, peak {run.peak_rss_mb:,.0f} MB")
    county = _accounts(args.url)
    from linkages.db import session_scope
    from linkages.models import Link, MatchRun
    from linkages.models.enums import Role
    from linkages.services import review
    from linkages.services.scope import Actor
    from webapp import create_app

    app = create_app({"DATABASE_URL": args.url, "SECRET_KEY": "bench-" + "0" * 40})
    pm = _sign_in(app, args.url, "bench-pm")
    evaluator = _sign_in(app, args.url, "bench-evaluator")
    with session_scope(args.url) as session:
        run_id = session.scalars(select(MatchRun.id).where(MatchRun.undone_at.is_(None))
                                 .order_by(MatchRun.id.desc())).first()
        links = session.scalar(select(func.count(Link.id)).where(Link.run_id == run_id))
        queue = review.queue(session, Actor(None, "bench", Role.PROGRAM_MANAGER, None, county))
        session.rollback()  # no audit rows from the bench's own look
    out.update({"run_id": run_id, "links": links, "county_cd": county,
                "queue_size": queue.size})
    pages = {
        "match rates (statewide, every county)": (evaluator, "/reports/match-rates"),
        "match rates CSV (statewide)": (evaluator, "/reports/match-rates.csv"),
        "match rates (county)": (pm, "/reports/match-rates"),
        "outcomes matched vs other (statewide)": (evaluator, "/reports/outcomes"),
        "outcomes matched vs other (county)": (pm, "/reports/outcomes"),
        "county profile": (pm, "/reports/profile"),
        "county profile CSV": (pm, "/reports/profile.csv"),
        "process (county)": (pm, "/reports/process"),
        "process (statewide)": (evaluator, "/reports/process"),
        "review queue (county)": (pm, "/review/"),
    }
    if queue.items:
        pages["review pair"] = (pm, f"/review/pairs/{queue.items[0].link_id}")
    results = {}
    for name, (client, path) in pages.items():
        client.get(path)  # warm
        results[name] = _time(client, path, args.repeat)
        target = PAIR_TARGET_MS if name == "review pair" else REPORT_TARGET_MS
        results[name]["target_ms"] = target
        print(f"{name:<40} p50 {results[name]['p50_ms']:>8.1f} ms  p95 "
              f"{results[name]['p95_ms']:>8.1f} ms  (target {target:,.0f})")
    out["pages"] = results
    # The process page reads its snapshot while the casework is unchanged; after a change, one
    # request computes the figures again: timed here in the database, without writing.
    from linkages.services import reports

    live = {}
    with session_scope(args.url) as session:
        for name, cd in (("process figures computed (statewide)", None),
                         ("process figures computed (county)", county)):
            times = []
            for _ in range(args.repeat):
                begun = time.perf_counter()
                reports.process_figures(session, cd)
                times.append((time.perf_counter() - begun) * 1000)
            live[name] = _stats(times)
            print(f"{name:<40} p50 {live[name]['p50_ms']:>8.1f} ms  p95 "
                  f"{live[name]['p95_ms']:>8.1f} ms")
        session.rollback()
    out["process_computed"] = live
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "reports.json").write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
