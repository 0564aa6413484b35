"""Where the run's own error estimate departs from the truth: a diagnostic, with labels.

    .venv/bin/python bench/diagnose_estimate.py --left L.csv --right R.csv --truth truth.csv

Runs the matcher as ``linkages match`` does (``config/matching.yaml`` unless ``--config``)
but keeps its candidate pairs, then splits the actual errors against the estimate's terms:

- false links: Σ(1 − p) over the `match` rows against the false ones, by probability band;
- missed links among the candidates: Σ p over the candidate pairs left unlinked against the
  true ones among them, by probability band (the calibration of the posterior);
- missed links never proposed by blocking: the run's unblocked estimate against the true
  pairs no pass proposed, and the capture-recapture counts with and without labels;
- true pairs lost with a rejected record;
- the false links again by the `match` row's basis (its own comparison, or a cluster's pair
  joined through other records, which the estimate counts at its chain of links), and the
  candidates' calibration split between pairs with and without rivals (other candidates of
  either record): where most records have a match in the other file (FEBRL4), a pair with
  no rival is far likelier than its Fellegi-Sunter probability (what the one-to-one prior
  of matching.compete counts, where the files hold no families).

The labels are only read here, never by the matcher: this is how the estimate is judged,
not how it is made.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from common import REPO  # the repository on sys.path, as every bench script has it

from linkages.extracts import PERSON_FILE, read_extract
from matching import MatchSettings, prepare
from matching.blocking import block
from matching.evaluation import truth_pairs
from matching.pipeline import _Stages, compare_all, decide, family_guard, finish, fit
from matching.score import pair_kinds

BANDS = (0.0, 0.05, 0.2, 0.5, 0.8, 0.95, 0.99, 0.999, 1.0001)


def _codes(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    return np.minimum(a, b).astype(np.int64) * n + np.maximum(a, b).astype(np.int64)


def diagnose(left_path: Path, right_path: Path, truth_path: Path,
             config: Path | None = None, dump: Path | None = None) -> dict[str, Any]:
    """The figures above; ``dump``: write the `match` rows with a ``true`` column there."""
    settings = MatchSettings.from_yaml(config or REPO / "config" / "matching.yaml")
    left = read_extract(str(left_path), PERSON_FILE).data
    right = read_extract(str(right_path), PERSON_FILE).data
    rec = prepare(left, right, settings)
    stages = _Stages(False, total=6)
    cand = block(rec, settings.passes, settings.max_block)
    levels = compare_all(rec, cand.a, cand.b)
    empty = np.empty(0, np.int64)
    model = fit(rec, cand, levels, settings, (empty, empty, np.empty(0, bool)))
    settings = family_guard(settings, model)
    scored = decide(rec, cand, levels, model, settings)
    result = finish(rec, len(cand), cand.by_pass, scored, model, settings,
                    (empty, empty, np.empty(0, bool)), stages, skipped=cand.skipped)
    n = rec.n

    position = pd.Series(np.arange(n), index=pd.Index(rec.record_id.astype(str)))
    position = position[~position.index.duplicated()]
    truth = pd.read_csv(truth_path, dtype=str, keep_default_na=False)
    tp = truth_pairs(truth)
    ta = position.reindex(tp["left_id"]).to_numpy()
    tb = position.reindex(tp["right_id"]).to_numpy()
    kept = ~(np.isnan(ta) | np.isnan(tb))
    lost_rejected = int((~kept).sum())
    ta, tb = ta[kept].astype(np.int64), tb[kept].astype(np.int64)
    true_codes = np.sort(_codes(ta, tb, n))

    kinds = pair_kinds(rec, cand.a, cand.b)
    cross = np.flatnonzero(kinds == 0)
    cross_codes = _codes(cand.a[cross], cand.b[cross], n)
    cross_true = np.isin(cross_codes, true_codes)
    links = result.links
    match = links[links["decision"] == "match"]
    mp = position.reindex(match["left_id"].astype(str)).to_numpy().astype(np.int64)
    mq = position.reindex(match["right_id"].astype(str)).to_numpy().astype(np.int64)
    match_codes = _codes(mp, mq, n)
    match_true = np.isin(match_codes, true_codes)
    match_p = match["match_probability"].to_numpy(float)
    p = scored.cross_probability.astype(np.float64)
    unlinked = ~np.isin(cross_codes, match_codes)
    blocked = np.isin(true_codes, cross_codes)

    def bands(prob: np.ndarray, truth_flags: np.ndarray) -> list[dict[str, Any]]:
        out = []
        for lo, hi in itertools.pairwise(BANDS):
            sel = (prob >= lo) & (prob < hi)
            if sel.any():
                out.append({"band": f"{lo:g}-{min(hi, 1):g}", "pairs": int(sel.sum()),
                            "expected_true": round(float(prob[sel].sum()), 1),
                            "actual_true": int(truth_flags[sel].sum())})
        return out

    # A pair without rivals: neither record has another cross-source candidate.
    ca, cb = cand.a[cross], cand.b[cross]
    rivalless = (np.bincount(ca, minlength=n)[ca] == 1) & (np.bincount(cb, minlength=n)[cb] == 1)
    by_basis = {}
    for basis in sorted(match["basis"].unique()):
        sel = (match["basis"] == basis).to_numpy()
        by_basis[basis] = {"rows": int(sel.sum()),
                           "sum_1_minus_p": round(float((1 - match_p[sel]).sum()), 1),
                           "actual": int((~match_true[sel]).sum())}

    if dump:
        match.assign(true=match_true).to_csv(dump, index=False)
    stats = result.stats
    tp_, fp_ = int(match_true.sum()), int((~match_true).sum())
    fn_ = int(len(tp) - tp_)
    return {
        "f1": round(2 * tp_ / max(2 * tp_ + fp_ + fn_, 1), 4),
        "precision": round(tp_ / max(tp_ + fp_, 1), 4),
        "recall": round(tp_ / max(len(tp), 1), 4),
        "true_pairs": len(tp), "lost_with_rejected_record": lost_rejected,
        "candidate_cross_pairs": len(cross), "true_pairs_blocked": int(blocked.sum()),
        "false_links": {"expected": stats["expected_false_matches"],
                        "actual": int((~match_true).sum()),
                        "by_band": bands(match_p, ~match_true)},
        "missed_among_candidates": {
            "expected": round(float(p[unlinked].sum()), 1),
            "actual": int(cross_true[unlinked].sum()),
            "by_band": bands(p[unlinked], cross_true[unlinked])},
        "calibration_all_cross_candidates": bands(p, cross_true),
        "false_links_by_basis": by_basis,
        "calibration_without_rivals": bands(p[rivalless], cross_true[rivalless]),
        "calibration_with_rivals": bands(p[~rivalless], cross_true[~rivalless]),
        "missed_unblocked": {"expected": stats.get("expected_missed_unblocked"),
                             "actual": int((~blocked).sum()),
                             "capture_counts": stats.get("capture_counts")},
        "expected_missed_total": stats["expected_missed_matches"],
        "actual_missed_total": int(len(tp) - match_true.sum()),
        "match_threshold": stats["match_threshold"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--left", type=Path, required=True)
    parser.add_argument("--right", type=Path, required=True)
    parser.add_argument("--truth", type=Path, required=True)
    parser.add_argument("--config", type=Path)
    parser.add_argument("--out", type=Path, help="write the figures as JSON here too")
    parser.add_argument("--dump-links", type=Path,
                        help="write the match rows with a `true` column (from the truth) here")
    args = parser.parse_args(argv)
    figures = diagnose(args.left, args.right, args.truth, args.config, args.dump_links)
    text = json.dumps(figures, indent=2)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
