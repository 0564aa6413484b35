"""The Splink runner keeps the `linkages match` contract: the benchmark compares like with like."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[2]
RUNNER = REPO / "bench" / "splink_runner.py"
FIRST = ["MARIA", "JOSE", "ASHLEY", "DANIEL", "JESSICA", "ANTHONY", "EMILY", "DAVID", "SOFIA",
         "LUIS", "NATALIE", "KEVIN", "ANGELA", "BRIAN", "VANESSA", "JUAN", "KAYLA", "ERIC"]
LAST = ["GARCIA", "NGUYEN", "SMITH", "JOHNSON", "LOPEZ", "HERNANDEZ", "WILLIAMS", "KIM",
        "MARTINEZ", "BROWN", "DAVIS", "RODRIGUEZ", "PATEL", "WILSON", "ANDERSON", "THOMAS"]


def population(n: int, seed: int) -> pd.DataFrame:
    """``n`` distinct children: independent random names, dates of birth, SSNs and homes."""
    rng = np.random.default_rng(seed)
    dob = pd.Timestamp("2005-01-01") + pd.to_timedelta(rng.integers(0, 6000, n), unit="D")
    return pd.DataFrame({
        "first_name": rng.choice(FIRST, n), "last_name": rng.choice(LAST, n),
        "dob": dob.strftime("%Y-%m-%d"),
        "ssn": [f"{x:09d}" for x in rng.choice(899_999_999, n, replace=False) + 100_000_000],
        "sex": rng.choice(["F", "M"], n), "county_cd": rng.integers(1, 59, n),
        "zip": [f"9{x:04d}" for x in rng.integers(0, 9999, n)],
        "address": [f"{x} {s} ST" for x, s in zip(rng.integers(1, 9999, n),
                                                  rng.choice(LAST, n), strict=True)],
        "parent_first_name": rng.choice(FIRST, n), "parent_last_name": rng.choice(LAST, n),
    })


@pytest.fixture(scope="module")
def tiny_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """300 CalWORKs children and 200 CWS children; the first 120 are the same children.

    The CWS copies of the shared children carry small clerical differences (a typo in the
    first name of every third one, the SSN missing on every fourth), as real extracts do.
    """
    people = population(380, seed=7)
    left = people.iloc[:300].assign(record_id=[f"T{i:04d}" for i in range(300)],
                                    case_id=[f"C{i:04d}" for i in range(300)])
    right = pd.concat([people.iloc[:120], people.iloc[300:380]], ignore_index=True)
    right["record_id"] = [f"R{i:04d}" for i in range(len(right))]
    typo = right.index[:120][::3]
    right.loc[typo, "first_name"] = right.loc[typo, "first_name"].str[:-1] + "X"
    right.loc[right.index[:120][::4], "ssn"] = ""
    right["case_id"] = [f"K{i}" if i % 2 else "" for i in range(len(right))]
    folder = tmp_path_factory.mktemp("tiny")
    left.to_csv(folder / "calworks_children.csv", index=False)
    right.to_csv(folder / "cws_children.csv", index=False)
    return folder / "calworks_children.csv", folder / "cws_children.csv"


def splink_installed() -> bool:
    try:
        import splink  # noqa: F401
    except ImportError:
        return False
    return True


def run_runner(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(RUNNER), *args], capture_output=True, text=True,
                          cwd=REPO, timeout=600)


@pytest.mark.slow
@pytest.mark.skipif(not splink_installed(),
                    reason="Splink is in the bench extra: pip install -e '.[bench]'")
def test_links_and_stats_follow_the_match_contract(tiny_files: tuple[Path, Path],
                                                   tmp_path: Path) -> None:
    left, right = tiny_files
    out, stats_path = tmp_path / "LINKS.csv", tmp_path / "stats.json"
    result = run_runner("--left", str(left), "--right", str(right), "--out", str(out),
                        "--stats", str(stats_path))
    assert result.returncode == 0, result.stderr[-3000:]

    links = pd.read_csv(out, dtype={"left_id": str, "right_id": str, "decision": str})
    assert list(links.columns) == ["left_id", "right_id", "match_probability", "match_weight",
                                   "decision"]
    assert set(links["decision"]) <= {"match", "review"}
    assert links["match_probability"].between(0, 1).all()
    assert links["left_id"].str.startswith("T").all()
    # Decided pair by pair: a match row is a pair Splink itself scored at the match threshold
    # (no pairs added by expanding clusters), a review row one between the two thresholds.
    is_match = links["decision"] == "match"
    assert (links.loc[is_match, "match_probability"] >= 0.9).all()
    assert links.loc[~is_match, "match_probability"].between(0.5, 0.9, inclusive="left").all()
    assert links["right_id"].str.startswith("R").all()
    matched = links[links["decision"] == "match"]
    found = set(zip(matched["left_id"], matched["right_id"], strict=True))
    true = {(f"T{i:04d}", f"R{i:04d}") for i in range(120)}
    # Identical dates of birth and addresses make these easy: nearly all must be found, and
    # no link made between the 180 + 80 children who appear on one side only.
    assert len(found & true) >= 114
    assert not {(a, b) for a, b in found if int(a[1:]) >= 120 or int(b[1:]) >= 120}

    stats = json.loads(stats_path.read_text())
    assert set(stats) == {"left_records", "left_persons", "left_persons_matched",
                          "left_match_rate", "right_records", "right_persons",
                          "right_persons_matched", "right_match_rate", "right_case_persons",
                          "right_case_persons_matched", "right_case_match_rate"}
    assert (stats["left_records"], stats["right_records"]) == (300, 200)
    assert stats["right_case_persons"] == 100  # every other CWS record has a case_id
    assert stats["left_persons_matched"] == pytest.approx(120, abs=6)
    assert stats["left_match_rate"] == pytest.approx(
        stats["left_persons_matched"] / stats["left_persons"])
    assert not (out.parent / "calworks_children.rejects.csv").exists()  # nothing rejected
    assert (out.parent / "LINKS.model.json").exists()


@pytest.mark.skipif(not splink_installed(),
                    reason="Splink is in the bench extra: pip install -e '.[bench]'")
def test_family_fields_neither_block_alone_nor_add_up() -> None:
    """Siblings share surname, home and parents: no prediction block is keyed on those alone,
    and the six family fields make two comparisons (home, parent), not six."""
    sys.path.insert(0, str(RUNNER.parent))
    from splink_runner import MODEL_COLUMNS, build_settings

    settings, deterministic, training = build_settings(set(MODEL_COLUMNS))
    own = {"first_name", "dob", "ssn"}
    for rule in settings.blocking_rules_to_generate_predictions:
        sql = rule if isinstance(rule, str) else rule.get_blocking_rule("duckdb").blocking_rule_sql
        assert any(f"l.{c}" in sql or f'l."{c}"' in sql for c in own), sql
    names = [c.get_comparison("duckdb").output_column_name for c in settings.comparisons]
    assert names == ["first_name", "last_name", "dob", "ssn", "sex", "home", "parent"]
    assert deterministic and len(training) >= 2

    _, _, training_no_ssn = build_settings(set(MODEL_COLUMNS) - {"ssn", "sex", "county_cd"})
    assert len(training_no_ssn) == len(training) - 1  # rules on an empty column are left out


def test_a_missing_required_column_stops_with_the_file_and_column(tmp_path: Path) -> None:
    left = tmp_path / "left.csv"
    left.write_text("record_id,first_name\nT1,ANA\n")
    right = tmp_path / "right.csv"
    right.write_text("record_id,first_name,last_name\nR1,ANA,LOPEZ\n")
    result = run_runner("--left", str(left), "--right", str(right),
                        "--out", str(tmp_path / "LINKS.csv"))
    assert result.returncode == 2
    assert "left.csv" in result.stderr and "last_name" in result.stderr
    assert "Traceback" not in result.stderr
