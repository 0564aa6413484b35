"""The co-case-management pages on statewide data: 20 concurrent users on 127.0.0.1.

    flock /tmp/linkages-bigrun.lock .venv/bin/python bench/bench_casework.py load \\
        --scale 1.0 --seed 1 --share 0.25
    flock /tmp/linkages-bigrun.lock .venv/bin/python bench/bench_casework.py drive \\
        --users 20 --requests 60

``load`` builds the database ``linkages_bench_casework`` on the tests' PostgreSQL server
(LINKAGES_TEST_POSTGRES_URL, default 127.0.0.1:5432) from scratch: ``linkages synth`` (the
extract kept under bench/out/casework/ for reuse), ``linkages db upgrade``, ``linkages ingest``
(timed: the statewide ingest time), ``linkages match`` (which records the run and the mutual
families), then ``linkages casework generate`` for a share of the families in every county,
with staff accounts the driver signs in as. Each step runs in its own measured child process.

``drive`` serves the app with waitress (8 threads, as a county's production WSGI server would)
and runs ``--users`` virtual users at once, each signed in as a different worker or supervisor
of the generated staff. Each makes ``--requests`` requests, choosing among: My families (the
dashboard, sorted several ways), the mutual families list (filtered by status, paged; a name
search), and a family workspace from her caseload (overview, plan, meetings, services, notes),
with a think time of 0.2-1.0 s between requests (a person reading a page). Sign-in is not
timed. Prints p50, p95, p99, throughput and any 5xx, per page and overall, and writes
bench/out/casework.json.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import LINKAGES, OUT_DIR, PYTHON, run_measured

POSTGRES_ADMIN_URL = os.environ.get(
    "LINKAGES_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BENCH_DB = "linkages_bench_casework"
STAFF_PASSWORD = "bench-staff-password-0123456789"
WORK = OUT_DIR / "casework"
TARGET_P95_MS = 150.0


def db_url() -> str:
    return make_url(POSTGRES_ADMIN_URL).set(database=BENCH_DB).render_as_string(
        hide_password=False)


def _env() -> dict[str, str]:
    return {**os.environ, "LINKAGES_DATABASE_URL": db_url(),
            "LINKAGES_VAR_DIR": str(WORK / "var")}


def load(scale: float, seed: int, share: float, casework_only: bool = False
         ) -> dict[str, object]:
    extract = WORK / f"synth-{scale:g}-seed{seed}"
    steps: dict[str, object] = {}
    if casework_only:  # the extract is loaded and linked: casework again, on the same data
        earlier = json.loads((WORK / "load.json").read_text()) if (
            WORK / "load.json").exists() else {}
        steps = {k: v for k, v in earlier.get("steps", {}).items()
                 if k in ("synth", "db_upgrade", "ingest", "match")}
        return _casework(steps, scale, seed, share)
    if not (extract / "foster_care.csv").exists():
        run = run_measured([LINKAGES, "synth", "--out", str(extract), "--scale", str(scale),
                            "--seed", str(seed)], WORK / "logs" / "synth.log")
        steps["synth"] = {"wall_s": round(run.wall_seconds, 1), "peak_mb": run.peak_rss_mb}
        assert run.ok, run.log.read_text()[-2000:]
    admin = create_engine(make_url(POSTGRES_ADMIN_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{BENCH_DB}"'))
    admin.dispose()
    env = _env()
    (WORK / "var").mkdir(parents=True, exist_ok=True)
    commands = {
        "db_upgrade": [LINKAGES, "db", "upgrade"],
        "ingest": [LINKAGES, "ingest", str(extract)],
        "match": [LINKAGES, "match", "--record", "--left", str(extract / "calworks_children.csv"),
                  "--right", str(extract / "cws_children.csv"),
                  "--out", str(WORK / "links.csv"), "--stats", str(WORK / "stats.json")],
    }
    for name, command in commands.items():
        run = run_measured(command, WORK / "logs" / f"{name}.log", env=env)
        assert run.ok, f"{name} failed:\n" + run.log.read_text()[-3000:]
        steps[name] = {"wall_s": round(run.wall_seconds, 1), "peak_mb": run.peak_rss_mb}
        print(f"{name}: {run.wall_seconds:,.1f} s, peak {run.peak_rss_mb:,.0f} MB", flush=True)
        (WORK / "load.json").write_text(json.dumps({"steps": steps}, indent=2))
    return _casework(steps, scale, seed, share)


def _casework(steps: dict[str, object], scale: float, seed: int, share: float
              ) -> dict[str, object]:
    env = _env()
    log = WORK / "logs" / "casework.log"
    begun = time.perf_counter()
    with log.open("w") as sink:
        done = subprocess.run(
            [LINKAGES, "casework", "generate", "--share", str(share), "--seed", str(seed),
             "--as-of", date.today().isoformat(), "--staff-password-stdin"],
            input=STAFF_PASSWORD + "\n", text=True, env=env, stdout=sink,
            stderr=subprocess.STDOUT)
    assert done.returncode == 0, log.read_text()[-3000:]
    steps["casework"] = {"wall_s": round(time.perf_counter() - begun, 1),
                         "output": log.read_text().strip()}
    print(f"casework: {log.read_text().strip()}", flush=True)
    # Autocommit: VACUUM cannot run in a transaction, and an ANALYZE in one that is never
    # committed leaves the planner without statistics. VACUUM sets the visibility map that
    # index-only scans need, as autovacuum would soon after a load.
    engine = create_engine(db_url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        counts = {t: conn.scalar(text(f"SELECT count(*) FROM {t}")) for t in (
            "calworks_case", "cws_child_client", "link", "mutual_family", "worker_assignment",
            "joint_meeting", "coordinated_plan", "plan_activity", "service_authorization",
            "contact_note", "audit_event", "app_user")}
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    steps["rows"] = counts
    result = {"scale": scale, "seed": seed, "share": share, "steps": steps}
    (WORK / "load.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(counts, indent=2))
    return result


# --- the driver -------------------------------------------------------------------------------

class User:
    def __init__(self, base: str, username: str, families: list[int]) -> None:
        self.base = base
        self.username = username
        self.families = families
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
            _NoRedirect())

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.base + path, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")

    def sign_in(self) -> None:
        _, html = self.get("/login")
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
        assert token, "no CSRF token on the sign-in page"
        data = urllib.parse.urlencode({"username": self.username, "password": STAFF_PASSWORD,
                                       "csrf_token": token.group(1)}).encode()
        try:
            with self.opener.open(self.base + "/login", data=data, timeout=60) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        assert status == 302, f"sign-in of {self.username} answered {status}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _pick_users(n: int, seed: int) -> list[tuple[str, list[int]]]:
    """Workers with the largest caseloads (the busiest offices), and for a quarter of the
    users a supervisor of the same county opening that county's families."""
    engine = create_engine(db_url())
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT u.username, u.county_cd, array_agg(w.family_id ORDER BY w.family_id) "
            "FROM app_user u JOIN worker_assignment w ON w.user_id = u.id "
            "AND w.end_date IS NULL GROUP BY u.username, u.county_cd "
            "ORDER BY count(*) DESC, u.username LIMIT :n"), {"n": n * 3}).all()
        sups: dict[int, list[str]] = defaultdict(list)
        for username, county in conn.execute(text(
                "SELECT username, county_cd FROM app_user WHERE role IN "
                "('cws_supervisor', 'calworks_supervisor') ORDER BY username")).all():
            sups[county].append(username)
    engine.dispose()
    rng = random.Random(seed)
    workers = [(u, c, list(f)) for u, c, f in rows]
    rng.shuffle(workers)
    picked = [(u, f) for u, _, f in workers[: n - n // 4]]
    for _, county, families in workers[n - n // 4:]:
        if len(picked) < n and sups[county]:
            picked.append((sups[county].pop(0), families))
    return picked[:n]


def _pages(user: User, rng: random.Random) -> tuple[str, str]:
    fid = rng.choice(user.families)
    roll = rng.random()
    if roll < 0.25:
        sort = rng.choice(["next_meeting", "overdue", "consent", "name"])
        return "dashboard", f"/my/?sort={sort}&show={rng.choice(['all', 'attention'])}"
    if roll < 0.45:
        page = rng.randint(1, 5)
        status = rng.choice(["active", "identified", ""])
        return "family list", f"/families/?status={status}&page={page}"
    if roll < 0.50:
        return "family search", f"/families/?q={rng.choice(['garcia', 'nguyen', 'smith'])}"
    section = rng.choice(["", "", "/plan/", "/meetings/", "/services/", "/notes"])
    return "workspace", f"/families/{fid}{section}"


def drive(users: int, requests: int, seed: int, threads: int,
          think: tuple[float, float] = (0.2, 1.0)) -> dict[str, object]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = (WORK / "logs" / "serve.log").open("w")
    server = subprocess.Popen(
        [PYTHON, "-c", "import waitress, webapp.wsgi; waitress.serve(webapp.wsgi.app, "
         f"host='127.0.0.1', port={port}, threads={threads}, connection_limit=200, "
         "channel_timeout=60)"],
        # Plain HTTP on 127.0.0.1 (TLS would sit in front in a county): cookies without Secure.
        env={**_env(), "LINKAGES_SECRET_KEY": "bench-" + "x" * 40,
             "LINKAGES_SESSION_COOKIE_SECURE": "false", "LINKAGES_INSECURE_LOCAL": "true"},
        stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/login", timeout=2).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "no server"
                time.sleep(0.3)
        people = [User(base, u, f) for u, f in _pick_users(users, seed)]
        for person in people:
            person.sign_in()
        samples: dict[str, list[float]] = defaultdict(list)
        errors: list[tuple[str, int]] = []
        lock = threading.Lock()

        def run(person: User, index: int) -> None:
            rng = random.Random(seed * 1000 + index)
            for _ in range(requests):
                kind, path = _pages(person, rng)
                begun = time.perf_counter()
                status, _ = person.get(path)
                took = (time.perf_counter() - begun) * 1000
                with lock:
                    samples[kind].append(took)
                    if status >= 500 or status not in (200,):
                        errors.append((path, status))
                time.sleep(rng.uniform(*think))

        started = time.perf_counter()
        workers = [threading.Thread(target=run, args=(p, i)) for i, p in enumerate(people)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()
    every = [t for ts in samples.values() for t in ts]
    result = {"users": len(people), "requests": len(every), "seconds": round(elapsed, 1),
              "throughput_rps": round(len(every) / elapsed, 1),
              "server": f"waitress 3.0.2, {threads} threads", "think_s": list(think),
              "errors_5xx": sum(1 for _, s in errors if s >= 500),
              "non_200": errors[:20], "overall": _stats(every),
              "pages": {k: _stats(v) for k, v in sorted(samples.items())}}
    (WORK / "drive.json").write_text(json.dumps(result, indent=2))
    return result


def _stats(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    q = statistics.quantiles(values, n=100, method="inclusive")
    return {"n": len(values), "p50_ms": round(q[49], 1), "p95_ms": round(q[94], 1),
            "p99_ms": round(q[98], 1), "max_ms": round(max(values), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="step", required=True)
    p_load = sub.add_parser("load")
    p_load.add_argument("--scale", type=float, default=1.0)
    p_load.add_argument("--seed", type=int, default=1)
    p_load.add_argument("--share", type=float, default=0.25)
    p_load.add_argument("--casework-only", action="store_true",
                        help="the database is loaded and linked: only generate the casework")
    p_drive = sub.add_parser("drive")
    p_drive.add_argument("--users", type=int, default=20)
    p_drive.add_argument("--requests", type=int, default=60)
    p_drive.add_argument("--seed", type=int, default=1)
    p_drive.add_argument("--threads", type=int, default=8)
    p_drive.add_argument("--think", default="0.2,1.0",
                         help="seconds between a user's requests: MIN,MAX (uniform)")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    if args.step == "load":
        load(args.scale, args.seed, args.share, args.casework_only)
        return
    low, high = (float(x) for x in args.think.split(","))
    result = drive(args.users, args.requests, args.seed, args.threads, (low, high))
    print(f"{result['users']} users, {result['requests']:,} requests in "
          f"{result['seconds']} s: {result['throughput_rps']} requests/s "
          f"({result['server']}, think {args.think} s); 5xx: {result['errors_5xx']}")
    print(f"{'page':<15}{'n':>6}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for name, s in [*result["pages"].items(), ("all", result["overall"])]:  # type: ignore[union-attr]
        print(f"{name:<15}{s['n']:>6}{s['p50_ms']:>9}{s['p95_ms']:>9}{s['p99_ms']:>9}"
              f"{s['max_ms']:>9}")
    p95 = result["overall"]["p95_ms"]  # type: ignore[index]
    verdict = "meets" if p95 <= TARGET_P95_MS and not result["errors_5xx"] else "MISSES"
    print(f"overall p95 {p95} ms {verdict} the target of {TARGET_P95_MS:.0f} ms with no 5xx")


if __name__ == "__main__":
    main()
