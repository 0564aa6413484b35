"""Reports and review against a real run, on SQLite and PostgreSQL: a small synthetic extract
is ingested and linked (`linkages match --record`), the reports are built, a reviewer confirms
and rejects pairs, and the next `linkages match` changes the mutual families accordingly. The
masked tables never leave a lone masked cell that the others give away."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from linkages.cli import main
from linkages.db import session_scope
from linkages.models import CalworksPerson, FamilyMember, Link, MatchRun, MutualFamily
from linkages.models.enums import LinkDecision, Role
from linkages.outcomes import masking
from linkages.services import reports, review
from linkages.services.scope import Actor

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def extract(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("extract") / "x"
    result = CliRunner().invoke(main, ["synth", "--out", str(out), "--scale", "0.003",
                                       "--seed", "7"])
    assert result.exit_code == 0, result.output
    return out


def _run(args: list[str], db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("LINKAGES_DATABASE_URL", db_url)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return result.output


def _match(extract: Path, tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _run(["match", "--record", "--left", str(extract / "calworks_children.csv"),
          "--right", str(extract / "cws_children.csv"), "--out", str(tmp_path / "links.csv"),
          "--no-progress"], db_url, monkeypatch)


def test_reports_build_review_and_the_next_match(db_url: str, extract: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    _run(["ingest", str(extract)], db_url, monkeypatch)
    _match(extract, tmp_path, db_url, monkeypatch)
    built = _run(["reports", "build", "--extract", str(extract)], db_url, monkeypatch)
    # synth writes visits for 2019-2022 only; the default periods run to mid-2024.
    assert "of its periods lie outside the extract's cws_visits.csv (2019-01-01 to " \
           "2022-12-31) and are left blank" in built
    evaluator = Actor(None, "eve", Role.EVALUATOR, None, None)
    with session_scope(db_url) as session:
        run = session.scalars(select(MatchRun)).one()
        report = reports.match_rate(session, evaluator)
        state = report.rows[0].cells
        assert state["calworks"].children == run.statistics["left_persons"]
        assert state["calworks"].found == run.statistics["left_persons_matched"]
        assert state["cws_case"].children == run.statistics["right_case_persons"]
        # Masked: in each count column no lone masked cell among the counties and the total.
        snap = reports._snapshot(session, reports.MATCH_RATE, run.id)
        table = reports._masked_table(snap.payload, unmasked=False)
        for key in ("calworks", "cws", "cws_case"):
            for part in ("children", "found"):
                masked = [getattr(cells[key], part) == masking.MASK for cells in table.values()]
                assert sum(masked) != 1, (key, part)
        # Outcomes: a masked side of a comparison never stands beside an unmasked other side
        # and total (it would be their difference).
        county = reports.outcomes(session, evaluator, county_cd=19)
        masked_county = reports.outcomes(
            session, Actor(None, "pm", Role.PROGRAM_MANAGER, None, 19))
        assert masked_county.masked and not county.masked
        seen_mask = False
        for m in masked_county.measures.values():
            for p in m["periods"]:
                if not p or "comparison" not in p:
                    continue
                c = p["comparison"]
                sides = [c["matched"]["numerator"] == "M", c["other"]["numerator"] == "M"]
                seen_mask |= any(sides)
                if any(sides):
                    assert all(sides) or p["numerator"] == "M"
        assert seen_mask
        # Every measure whose inputs the extract has (synth writes them all), the new ones
        # compared too, except the participation rates (no CalWORKs split of the population).
        # ... in the order they are declared, on PostgreSQL too (JSONB reorders keys).
        assert list(masked_county.measures) == [*reports.COMPARED_MEASURES,
                                                *reports.UNCOMPARED_MEASURES]
        assert masked_county.params["left_out"] == {}
        for code in ("2B-IMM", "2D-10DAY", "4A-SOME", "C2.1"):
            assert "comparison" in county.measures[code]["periods"][-1], code
        visits = county.statewide["2F"]["periods"]
        covered = [p for p in visits if not p.get("uncovered")]
        assert covered and all(p["end"] <= "2022-12-31" for p in covered)
        assert all("comparison" in p for p in covered)
        late = visits[-1]
        assert late["uncovered"].startswith("cws_visits.csv runs from 2019-01-01")
        assert (late["numerator"], late["percent"]) == (None, None)
        assert "comparison" not in county.measures["REF-RATE"]["periods"][-1]
        # The i-th period of each measure lies in the i-th rolling year: a quarterly measure's
        # is the year's last quarter, a point-in-time one that quarter's first day.
        for i, year in enumerate(county.statewide["P4"]["periods"]):
            quarter = county.statewide["2B-IMM"]["periods"][i]
            day = county.statewide["4A-ALL"]["periods"][i]
            assert quarter["end"] == year["end"] and quarter["start"] > year["start"]
            assert day["start"] == day["end"] == quarter["start"]
            assert county.statewide["2F"]["periods"][i]["start"] == year["start"]

        # The review queue of a county with uncertain pairs.
        uncertain = session.execute(
            select(Link.id, CalworksPerson.county_cd, Link.decision, Link.left_record_id,
                   Link.right_record_id)
            .join(CalworksPerson, CalworksPerson.record_id == Link.left_record_id)
            .where(Link.decision == LinkDecision.REVIEW)).all()
        assert uncertain
        link_id, county_cd, _, left_id, right_id = uncertain[0]
        manager = Actor(None, "pm", Role.PROGRAM_MANAGER, None, county_cd)
        q = review.queue(session, manager, limit=100_000)
        assert link_id in [i.link_id for i in q.items]
        # The order kept by `reports build` is the order computed live.
        assert [i.link_id for i in q.items] == [
            i.link_id for i in review._items(session, manager, review.latest_run(session))]
        impacts = [i.impact for i in q.items]
        assert impacts == sorted(impacts, reverse=True)
        review.decide(session, manager, link_id, "confirm", "", "")
        # A strong match of the same county, rejected.
        strong = session.execute(
            select(Link.id, Link.left_record_id, Link.right_record_id)
            .join(CalworksPerson, CalworksPerson.record_id == Link.left_record_id)
            .where(Link.decision == LinkDecision.MATCH, CalworksPerson.county_cd == county_cd,
                   Link.match_probability > 0.99).order_by(Link.id)).first()
        assert strong is not None
        reject_id, rej_left, rej_right = strong
        review.pair(session, manager, reject_id)  # any pair of her county opens
        review.decide(session, manager, reject_id, "reject", "different children", "")
        assert review.queue(session, manager).decided >= 1

    _match(extract, tmp_path, db_url, monkeypatch)
    with session_scope(db_url) as session:
        members = {(m.calworks_record_id, m.cws_record_id)
                   for m in session.scalars(select(FamilyMember))}
        assert (left_id, right_id) in members  # confirmed: now linked
        assert (rej_left, rej_right) not in members  # rejected: never linked
        latest = session.scalars(select(MatchRun).order_by(MatchRun.id.desc())).first()
        assert latest.statistics["clerical_confirmed"] == 1
        assert latest.statistics["clerical_rejected"] == 1
        assert session.scalar(select(MutualFamily.id).limit(1)) is not None
    # An extract without the visits and referrals files: 2F, 2B and 2D are left out with a
    # note naming the file; the other measures are built.
    partial = tmp_path / "partial"
    partial.mkdir()
    for f in extract.iterdir():
        if f.name not in ("cws_visits.csv", "cws_referrals.csv"):
            (partial / f.name).symlink_to(f)
    output = _run(["reports", "build", "--extract", str(partial)], db_url, monkeypatch)
    assert "note: 2F left out: the extract has no cws_visits.csv" in output
    assert "note: 2B-IMM left out: the extract has no cws_referrals.csv" in output
    with session_scope(db_url) as session:
        state = reports.outcomes(session, evaluator)
        assert "2F" not in state.measures and "2D-IMM" not in state.measures
        assert {"4A-ALL", "REF-RATE", "P4"} <= set(state.measures)
        assert state.params["left_out"]["2F-LOC"] == "the extract has no cws_visits.csv"
    # The reports of the new run, and the trend across both runs.
    _run(["reports", "build"], db_url, monkeypatch)
    with session_scope(db_url) as session:
        trend = reports.match_rate(session, evaluator).trend
        assert [t["run_id"] for t in trend] == [1, 2]
        assert all(isinstance(t["rates"]["calworks"], float) for t in trend)
        assert np.isfinite(trend[-1]["rates"]["cws"])
