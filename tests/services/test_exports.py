"""Evaluators' cohort exports: what a row holds, that nothing identifies a child, pseudonyms and
date shifts, the manifest, expiry, scope and audit; on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from cohort_fixtures import PERIOD, Cohort, add_cohort, assert_no_identifier
from mutual_family_fixtures import Seeded
from sqlalchemy import select
from sqlalchemy.orm import Session

from linkages.cli import main
from linkages.db import session_scope
from linkages.exports import bundle
from linkages.models import (
    AuditEvent,
    CohortDateShift,
    CohortExport,
    CwsChildClient,
    User,
)
from linkages.outcomes import DEFINITIONS_VERSION
from linkages.services import exports
from linkages.services.scope import Actor, NotFound, PermissionDenied

COLUMNS = [
    "child_id", "county_cd", "county", "sex", "ethnic_group", "birth_year_month",
    "calworks_match", "match_probability", "referrals_in_period", "substantiated_in_period",
    "first_referral_date", "cws_service_components", "episodes_in_period", "entered_in_period",
    "entry_date", "exit_date", "exit_type", "days_in_care", "age_at_entry", "agency_type",
    "first_placement_type", "placements_in_episode", "reentered_within_12_months",
    "calworks_case_id", "calworks_county_cd", "calworks_aid_status", "calworks_wtw_status",
    "calworks_aid_months_in_period", "calworks_aided_at_period_start",
    "calworks_aided_at_period_end", "mutual_family_id", "family_status", "joint_meetings_held",
    "cft_meeting_held", "days_to_first_joint_meeting", "coordinated_plan_approved",
    "days_to_plan_approval", "services_authorized", "service_categories", "services_amount",
    "cws_case_id",
]
MARIA = "0101-2345-6789-0123456-K0"


@pytest.fixture
def cohort(session: Session, seeded: Seeded) -> Cohort:
    result = add_cohort(session)
    session.commit()
    return result


def _export(session: Session, actor: Actor, **kwargs: object) -> CohortExport:
    row = exports.create_export(session, actor, counties=kwargs.pop("counties", None),
                                start=PERIOD[0], end=PERIOD[1], **kwargs)  # type: ignore[arg-type]
    session.commit()
    return row


def _files(row: CohortExport) -> Path:
    return exports.exports_dir() / str(row.id)


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _rows_by_child(row: CohortExport, key: bytes) -> dict[str, dict[str, str]]:
    """The export's CSV rows by the CWS record id each pseudonym stands for."""
    by_pseudonym = {r["child_id"]: r for r in _csv(_files(row) / "cohort.csv")}
    with session_scope() as s:
        records = s.scalars(select(CwsChildClient.record_id)).all()
    found = {r: by_pseudonym[p] for r in records
             if (p := bundle.pseudonym(key, "cws_child", r)) in by_pseudonym}
    assert len(found) == len(by_pseudonym)
    return found


def _key() -> bytes:
    from linkages.keys import pseudonym_key

    return pseudonym_key()


def test_one_row_per_cws_child_with_the_facts_for_evaluation(
    session: Session, cohort: Cohort, actor: Callable[[str], Actor]
) -> None:
    row = _export(session, actor("evaluator"), counties=[10, 19])
    assert row.row_count == 5 and row.match_run_id == cohort.run_id
    rows = _rows_by_child(row, _key())
    assert set(rows) == cohort.in_cohort  # the 2015-only child is not in the period
    header = next(csv.reader((_files(row) / "cohort.csv").open(encoding="utf-8")))
    assert header == COLUMNS
    maria = rows[MARIA]
    assert (maria["calworks_match"], maria["match_probability"]) == ("true", "0.998")
    assert maria["birth_year_month"] == "2017-05" and maria["county"] == "Fresno"
    assert (maria["referrals_in_period"], maria["substantiated_in_period"]) == ("1", "true")
    assert maria["episodes_in_period"] == "2" and maria["entered_in_period"] == "true"
    assert (maria["exit_type"], maria["days_in_care"]) == ("reunified", str(175))
    assert maria["reentered_within_12_months"] == "true" and maria["age_at_entry"] == "1"
    assert maria["first_placement_type"] == "Relative/NREFM"
    assert maria["agency_type"] == "Child Welfare"
    # CalWORKs aid March 2019 - June 2020: 16 months of the period, not on its first or last day.
    assert maria["calworks_aid_months_in_period"] == "16"
    assert (maria["calworks_aided_at_period_start"], maria["calworks_aided_at_period_end"]) == (
        "false", "false")
    # The seed's Garcia Lopez case is active, with its WtW participant under sanction.
    assert (maria["calworks_aid_status"], maria["calworks_wtw_status"]) == (
        "active", "sanction")
    # Casework: a CFT 7 days after identification, a plan approved after 18, child care.
    assert (maria["joint_meetings_held"], maria["cft_meeting_held"]) == ("1", "true")
    assert maria["days_to_first_joint_meeting"] == "7"
    assert (maria["coordinated_plan_approved"], maria["days_to_plan_approval"]) == ("true", "18")
    assert (maria["services_authorized"], maria["service_categories"],
            maria["services_amount"]) == ("1", "child_care", "420.0")
    assert maria["family_status"] == "active"
    assert maria["mutual_family_id"] == rows["0101-2345-6789-0123456-K1"]["mutual_family_id"]
    sofia = rows["0103-7777-8888-9999999-K0"]
    assert (sofia["calworks_match"], sofia["match_probability"]) == ("false", "0.42")
    assert sofia["calworks_case_id"] == "" and sofia["mutual_family_id"] == ""
    okafor = rows["0102-4444-5555-6666666-K0"]
    assert okafor["cws_service_components"] == "FR" and okafor["episodes_in_period"] == "0"
    nguyen = rows["1900-1111-2222-3333333-K0"]
    assert nguyen["exit_date"] == "" and nguyen["reentered_within_12_months"] == ""
    # The Parquet file holds the same rows and columns, typed.
    table = pq.read_table(_files(row) / "cohort.parquet")
    assert table.column_names == COLUMNS and table.num_rows == 5
    frame = table.to_pandas()
    assert str(table.schema.field("entry_date").type) == "date32[day]"
    assert set(frame["child_id"]) == {r["child_id"] for r in rows.values()}


def test_a_county_choice_limits_the_cohort(session: Session, cohort: Cohort,
                                           actor: Callable[[str], Actor]) -> None:
    row = _export(session, actor("evaluator"), counties=[10])
    assert set(_rows_by_child(row, _key())) == cohort.fresno


def test_no_direct_identifier_in_any_value(session: Session, cohort: Cohort,
                                           actor: Callable[[str], Actor]) -> None:
    row = _export(session, actor("evaluator"))
    key = _key()
    by_child = _rows_by_child(row, key)
    frame = pq.read_table(_files(row) / "cohort.parquet").to_pandas()
    cells: list[tuple[str, str]] = []
    for record, r in by_child.items():
        cells += [(record, v) for v in r.values()]
    parquet_by = dict(zip(frame["child_id"], frame.to_dict("records"), strict=True))
    for record, r in by_child.items():
        cells += [(record, "" if v is None or v is pd.NA or v != v else str(v))
                  for v in parquet_by[r["child_id"]].values()]
    for path in (_files(row) / "summary.csv", _files(row) / "data_dictionary.csv"):
        cells += [("", v) for r in _csv(path) for v in r.values()]
    assert_no_identifier(session, cells)
    # Shifted dates move by 1-15 days, the same for every date of a child.
    with session_scope() as s:
        shift = s.get(CohortDateShift, MARIA)
        assert shift is not None and 1 <= abs(shift.offset_days) <= 15
    assert by_child[MARIA]["entry_date"] == (
        date(2019, 3, 10) + timedelta(days=shift.offset_days)).isoformat()
    assert by_child[MARIA]["exit_date"] == (
        date(2019, 9, 1) + timedelta(days=shift.offset_days)).isoformat()


def test_pseudonyms_and_date_shifts_are_stable_under_one_key_and_unlinkable_under_another(
    session: Session, cohort: Cohort, actor: Callable[[str], Actor],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = _csv(_files(_export(session, actor("evaluator"))) / "cohort.csv")
    second = _csv(_files(_export(session, actor("evaluator"))) / "cohort.csv")
    assert first == second  # same key, same offsets: the same rows again
    monkeypatch.setenv("LINKAGES_PSEUDONYM_KEY", "another-key-for-another-project-0123456789")
    third_row = _export(session, actor("evaluator"))
    third = _csv(_files(third_row) / "cohort.csv")
    ids = ("child_id", "cws_case_id", "calworks_case_id", "mutual_family_id")
    old = {r[c] for r in first for c in ids if r[c]}
    new = {r[c] for r in third for c in ids if r[c]}
    assert old and new and not old & new
    # Everything else is the same: only the pseudonyms change with the key.
    strip = [{k: v for k, v in r.items() if k not in ids} for r in first]
    assert sorted(map(str, strip)) == sorted(
        str({k: v for k, v in r.items() if k not in ids}) for r in third)
    assert third_row.key_id != session.scalars(select(CohortExport.key_id)).first()


def test_the_manifest_lists_counts_checksums_run_version_and_parameters(
    session: Session, cohort: Cohort, actor: Callable[[str], Actor]
) -> None:
    row = _export(session, actor("evaluator"), counties=[19, 10])
    directory = _files(row)
    manifest = json.loads((directory / "manifest.json").read_text())
    assert manifest["row_count"] == 5 and manifest["export_id"] == row.id
    assert manifest["match_run"]["id"] == cohort.run_id
    assert manifest["match_run"]["calworks_file"] == "calworks_children.csv"  # no server path
    assert manifest["measure_definitions_version"] == DEFINITIONS_VERSION
    assert manifest["parameters"]["counties"] == [10, 19]
    assert manifest["parameters"]["period_start"] == "2019-01-01"
    assert manifest["parameters"]["period_end"] == "2020-12-31"
    assert "shifted" in manifest["parameters"]["date_treatment"]
    assert manifest["pseudonyms"]["key_id"] == row.key_id
    listed = {f["name"]: f for f in manifest["files"]}
    assert set(listed) == {"cohort.csv", "cohort.parquet", "data_dictionary.csv", "summary.csv"}
    for name, entry in listed.items():
        data = (directory / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], name
        assert len(data) == entry["bytes"]
    assert listed["cohort.csv"]["rows"] == 5
    assert len(_csv(directory / "cohort.csv")) == 5
    # The database keeps the manifest's own checksum too (shown on the export's page).
    stored = {f["name"]: f["sha256"] for f in row.files}
    assert stored["manifest.json"] == hashlib.sha256(
        (directory / "manifest.json").read_bytes()).hexdigest()
    dictionary = [r["column"] for r in _csv(directory / "data_dictionary.csv")]
    assert dictionary == COLUMNS


def test_the_summary_masks_small_cells(session: Session, cohort: Cohort,
                                       actor: Callable[[str], Actor]) -> None:
    row = _export(session, actor("evaluator"))
    summary = _csv(_files(row) / "summary.csv")
    assert summary[-1]["county"] == "Total"
    for r in summary:  # every count here is 0 (".") or 1-10 (masked)
        for column in bundle.SUMMARY_COUNTS:
            assert r[column] in (".", "M"), (r, column)
    assert summary[-1]["children"] == "M"


def test_complementary_masking_in_the_summary() -> None:
    frame = pd.DataFrame({
        "county": ["Fresno"] * 30 + ["Kern"] * 25,
        "calworks_match": [True] * 12 + [False] * 18 + [True] * 5 + [False] * 20,
        "episodes_in_period": 1, "entered_in_period": True, "exit_type": None,
        "reentered_within_12_months": pd.array([None] * 55, dtype="boolean"),
    })
    table = bundle.summary(frame).set_index(["county", "calworks_match"])["children"]
    assert table[("Kern", "Matched")] == "M"  # 5: primary
    # Kern's other cell would give 5 away from the county total (25): masked too.
    assert table[("Kern", "Not matched")] == "M"
    assert table[("Total", "Total")] == 55


def test_an_expired_export_is_gone_and_its_files_deleted(
    session: Session, cohort: Cohort, actor: Callable[[str], Actor]
) -> None:
    evaluator = actor("evaluator")
    row = _export(session, evaluator, link_days=7)
    path = exports.download(session, evaluator, row.id, "cohort.csv")
    assert path.exists()
    later = datetime.now(UTC) + timedelta(days=7, minutes=1)
    with pytest.raises(exports.Expired):
        exports.download(session, evaluator, row.id, "cohort.csv", now=later)
    session.commit()
    assert not _files(row).exists()
    assert exports.get_export(session, evaluator, row.id, now=later).expired
    events = session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "cohort_export")
                             .order_by(AuditEvent.id)).all()
    assert [(e.action, e.detail.get("file"), e.detail.get("reason")) for e in events] == [
        ("export.create", None, None), ("export.download", "cohort.csv", None),
        ("export.download_refused", "cohort.csv", "expired")]


def test_only_the_owner_downloads_and_workers_cannot_export(
    session: Session, cohort: Cohort, actor: Callable[[str], Actor]
) -> None:
    row = _export(session, actor("evaluator"))
    other = Actor(None, "another-evaluator", actor("evaluator").role, None, None)
    with pytest.raises(NotFound):
        exports.download(session, other, row.id, "cohort.csv")
    with pytest.raises(NotFound):
        exports.download(session, actor("evaluator"), row.id, "../../secret_key")
    for username in ("fresno-cws", "fresno-calworks", "fresno-manager", "admin"):
        with pytest.raises(PermissionDenied):
            exports.create_export(session, actor(username), counties=None, start=PERIOD[0],
                                  end=PERIOD[1])
        with pytest.raises(PermissionDenied):
            exports.download(session, actor(username), row.id, "cohort.csv")


def test_a_county_evaluator_exports_her_county_only(
    session: Session, cohort: Cohort, actor: Callable[[str], Actor]
) -> None:
    user = session.get(User, cohort_user(session))
    county = Actor.from_user(user)
    with pytest.raises(exports.ExportError, match="county 10 only"):
        exports.create_export(session, county, counties=[19], start=PERIOD[0], end=PERIOD[1])
    row = exports.create_export(session, county, counties=None, start=PERIOD[0], end=PERIOD[1])
    assert row.parameters["counties"] == [10] and row.row_count == len(cohort.fresno)
    with pytest.raises(exports.ExportError, match="on or after"):
        exports.create_export(session, county, counties=None, start=PERIOD[1], end=PERIOD[0])


def cohort_user(session: Session) -> int:
    from linkages.models.enums import Role

    user = User(username="fresno-evaluator", display_name="Fresno evaluator", password_hash="x",
                role=Role.EVALUATOR, county_cd=10, active=True, failed_logins=0)
    session.add(user)
    session.flush()
    return user.id


def test_the_command_line_makes_an_export_for_an_evaluator(
    db_url: str, seeded: Seeded, session: Session, tmp_path: Path
) -> None:
    cohort = add_cohort(session)
    session.commit()
    out = tmp_path / "bundle"
    result = CliRunner().invoke(main, ["export", "cohort", "--from", "2019-01-01", "--to",
                                       "2020-12-31", "--county", "10", "--for", "evaluator",
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "4 children" in result.output and f"match run {cohort.run_id}" in result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(bundle.BUNDLE_FILES)
    with session_scope(db_url) as s:
        row = s.scalars(select(CohortExport)).one()
        assert row.owner_id == seeded.users["evaluator"] and row.requested_by.startswith("cli:")
    refused = CliRunner().invoke(main, ["export", "cohort", "--from", "2019-01-01", "--to",
                                        "2020-12-31", "--for", "fresno-cws"])
    assert refused.exit_code == 2 and "may not receive exports" in refused.output
    unknown = CliRunner().invoke(main, ["export", "cohort", "--from", "2019-01-01", "--to",
                                        "2020-12-31", "--for", "nobody"])
    assert unknown.exit_code == 2 and "no account 'nobody'" in unknown.output


def test_an_empty_cohort_is_an_ordinary_export(session: Session, seeded: Seeded,
                                               actor: Callable[[str], Actor]) -> None:
    row = _export(session, actor("evaluator"))  # no CWS activity at all in the seed
    assert row.row_count == 0 and row.match_run_id is None
    assert _csv(_files(row) / "cohort.csv") == []
    assert pq.read_table(_files(row) / "cohort.parquet").num_rows == 0
    assert _csv(_files(row) / "summary.csv")[-1]["children"] == "."
