from __future__ import annotations

from datetime import UTC, datetime

from flask import Response, render_template, request
from flask_login import login_required

from linkages.services import reports
from linkages.services.scope import NotFound, Permission, require
from webapp import charts
from webapp.db import get_db
from webapp.reports import bp
from webapp.security import client_ip, current_actor

RATE_LABELS = {key: label for key, label, _, _ in reports.MATCH_RATE_ROWS}


def _allowed() -> None:
    require(current_actor(), Permission.VIEW_REPORTS)


def _county() -> int | None:
    """The county asked for: absent is the reader's own (or the state); anything else that is
    not one of hers is not found."""
    raw = request.args.get("county", "")
    if raw in ("", "all"):
        return None
    if not raw.isdigit() or len(raw) > 2:
        raise NotFound("no such county")
    return int(raw)


def _run() -> int | None:
    raw = request.args.get("run", "")
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 9:
        raise NotFound("no such run")
    return int(raw)


def _not_built(exc: Exception) -> str:
    return render_template("reports/not_built.html", message=str(exc))


@bp.get("/")
@login_required
def index() -> str:
    _allowed()
    return render_template("reports/index.html",
                           counties=reports.visible_counties(current_actor()))


@bp.get("/match-rates")
@login_required
def match_rates() -> str:
    _allowed()
    county = _county()
    try:
        report = reports.match_rate(get_db(), current_actor(), _run(), county, ip=client_ip())
    except reports.ReportNotBuilt as exc:
        return _not_built(exc)
    labels = [f"Run {t['run_id']}" for t in report.trend]
    chart = charts.line_chart(
        "Match rates across runs", labels,
        [charts.Series(RATE_LABELS[k], [t["rates"][k] for t in report.trend])
         for k in RATE_LABELS])
    return render_template("reports/match_rates.html", report=report, chart=chart,
                           county=county, labels=RATE_LABELS,
                           counties=reports.visible_counties(current_actor()))


@bp.get("/match-rates.csv")
@login_required
def match_rates_csv() -> Response:
    _allowed()
    county = _county()
    try:
        body = reports.match_rate_csv(get_db(), current_actor(), _run(), county, ip=client_ip())
    except reports.ReportNotBuilt as exc:
        raise NotFound(str(exc)) from exc
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="linkages-match-rates-{stamp}.csv"'})


def _year_starts(report: reports.OutcomeReport) -> list[str]:
    """The starts of the rolling years, in order. The quarterly and point-in-time measures'
    i-th period lies in the i-th year (reports.aligned_start), so one index picks a period of
    every measure."""
    starts = [p["start"] for m in report.statewide.values()
              if m.get("period", "year") == "year" for p in m["periods"] if p]
    return list(dict.fromkeys(starts))


def _period_index(report: reports.OutcomeReport) -> int:
    """The period asked for (?period=YYYY-MM-DD, its start), else the latest."""
    ordered = _year_starts(report)
    wanted = request.args.get("period", "")
    if wanted in ordered:
        return ordered.index(wanted)
    return len(ordered) - 1 if ordered else 0


def _comparison_chart(report: reports.OutcomeReport, index: int):  # type: ignore[no-untyped-def]
    groups = []
    for code, m in report.measures.items():
        if m["kind"] == "rate":
            continue  # rates per days are on other scales: in the table only
        p = m["periods"][index] if index < len(m["periods"]) else None
        if p is None or p.get("uncovered"):
            continue  # no children of the county that period, or no data: in the table
        comp = p.get("comparison") or {}
        items = []
        for side, label in (("matched", "Matched with CalWORKs"), ("other", "Other children")):
            cell = comp.get(side) or {}
            ci = cell.get("ci")
            low, high = (ci[0], ci[1]) if isinstance(ci, list) else (None, None)
            items.append(charts.Interval(label, cell.get("percent", "M" if comp else None),
                                         low, high))
        groups.append((f"{code} {m['title']}", items))
    return charts.interval_chart(f"Matched and other children, {report.county_label}", groups)


@bp.get("/outcomes")
@login_required
def outcomes() -> str:
    _allowed()
    try:
        report = reports.outcomes(get_db(), current_actor(), _run(), _county(), ip=client_ip())
    except reports.ReportNotBuilt as exc:
        return _not_built(exc)
    index = _period_index(report)
    periods = _year_starts(report)
    return render_template("reports/outcomes.html", report=report, index=index,
                           periods=periods, chart=_comparison_chart(report, index),
                           counties=reports.visible_counties(current_actor()))


@bp.get("/profile")
@login_required
def profile() -> str:
    _allowed()
    try:
        report = reports.outcomes(get_db(), current_actor(), _run(), _county(), ip=client_ip(),
                                  kind="county_profile")
    except reports.ReportNotBuilt as exc:
        return _not_built(exc)
    trend_charts = {}
    for code, m in report.measures.items():
        state = report.statewide.get(code, {}).get("periods", [])
        labels = [p["end"][:7] if p else "" for p in state]
        key = "rate" if m["kind"] == "rate" else "percent"
        unit = "" if m["kind"] == "rate" else "%"
        trend_charts[code] = charts.line_chart(
            f"{code} {m['title']}", labels,
            [charts.Series(report.county_label, [p.get(key) if p else None
                                                 for p in m["periods"]]),
             charts.Series("California", [p.get(key) if p else None for p in state])],
            unit=unit, height=200)
    index = len(_year_starts(report)) - 1
    return render_template("reports/profile.html", report=report, trend_charts=trend_charts,
                           index=max(index, 0), chart=_comparison_chart(report, max(index, 0)),
                           counties=reports.visible_counties(current_actor()),
                           today=datetime.now(UTC).date())


@bp.get("/profile.csv")
@login_required
def profile_csv() -> Response:
    _allowed()
    try:
        body = reports.profile_csv(get_db(), current_actor(), _run(), _county(), ip=client_ip())
    except reports.ReportNotBuilt as exc:
        raise NotFound(str(exc)) from exc
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": 'attachment; filename="linkages-county-profile.csv"'})


@bp.get("/process")
@login_required
def process() -> str:
    _allowed()
    report = reports.process(get_db(), current_actor(), _county(), ip=client_ip())
    return render_template("reports/process.html", report=report,
                           definition=reports.SANCTION_DEFINITION,
                           counties=reports.visible_counties(current_actor()))
