"""Frames worked out once and shared (episode facts, cohorts, reports, distinct-value helpers)
give the answers of the plain computations they replace."""

from __future__ import annotations

import numpy as np
import pandas as pd
from fc_history import episode, placements
from test_other_measures import allegations, fc_frame

from linkages.outcomes import compute, core, prepare
from linkages.outcomes.measures import prepare_reports


def test_by_distinct_numbers_rows_as_groupby_and_drop_duplicates():
    frame = pd.DataFrame({"a": ["x", None, "x", "y", "", "y", None],
                          "b": ["1", "2", "1", None, "2", None, ""]})
    seen: list[pd.DataFrame] = []

    def rule(d: pd.DataFrame) -> pd.Series:
        seen.append(d)
        return d["a"] + "|" + d["b"]

    got = core.by_distinct(frame, rule)
    filled = frame.astype(object).where(frame.notna(), "")
    expected = (filled["a"] + "|" + filled["b"]).to_numpy()
    assert list(got) == list(expected)
    # The rule sees each distinct row once, in order of first appearance, with its first label.
    pd.testing.assert_frame_equal(seen[0], filled.drop_duplicates())


def test_trimmed_text_matches_astype_str_strip():
    for values in (pd.Series([" a", "b ", " a", "b", "c"]),
                   pd.Series([" a", None, 1, 1.0, True, "1 "], dtype=object),
                   pd.Series([3, 1, 3])):
        expected = values.astype(str).str.strip().to_numpy(dtype=object)
        assert list(core.trimmed_text(values)) == list(expected)


def test_placements_sorted_with_open_placements_last(tmp_path):
    frame = fc_frame(tmp_path, placements("A", "2021-01-01", "", "", [
        {"placement_start": "2021-03-01", "placement_end": ""},
        {"placement_start": "2021-03-01", "placement_end": "2021-03-01"},
        {"placement_start": "2021-01-01", "placement_end": "2021-03-01"},
    ]))
    pl = prepare(frame).placements
    assert pl["line"].tolist() == [2, 1, 0]
    assert pl["placement_end"].isna().tolist() == [False, False, True]


def test_episode_facts_are_the_rules(tmp_path):
    frame = fc_frame(tmp_path,
                     episode("short", "2021-02-01", "2021-02-08"),
                     episode("adult", "2021-02-01", "2021-06-01", birth="2003-01-01"),
                     episode("open", "2021-02-01"))
    eps = prepare(frame).episodes
    pd.testing.assert_series_equal(eps["short_stay"], core.short_stay(eps),
                                   check_names=False)
    assert eps["entered_as_adult"].tolist() == core.entered_as_adult(eps).tolist()
    assert eps["exited_as_adult"].tolist() == core.exited_as_adult(eps).tolist()
    assert eps.set_index("child_id")["short_stay"].to_dict() == {
        "short": True, "adult": False, "open": False}


def test_prepared_inputs_reused_across_calls_give_the_same_results(tmp_path):
    frame = fc_frame(tmp_path,
                     episode("A", "2020-06-01"),
                     episode("B", "2021-06-01", "2021-09-01"),
                     episode("C", "2021-03-01", "2021-05-01", number=1),
                     episode("C", "2021-07-01", number=2))
    alg = allegations(tmp_path, [
        ("A", "R1", "2021-03-01", "substantiated", ""),
        ("B", "R6", "2021-06-08", "substantiated", ""),
        ("B", "R9", "2021-10-08", "substantiated", ""),
    ])
    prepared = prepare(frame)
    reports = prepare_reports(alg)
    for code in ("P1", "P4", "P5", "S1", "S2", "4B1"):
        for _ in range(2):  # the second call reads the cached cohort
            shared = compute(code, prepared, "2021-01-01", 2, masked=False,
                             allegations=reports)
            plain = compute(code, frame, "2021-01-01", 2, masked=False, allegations=alg)
            assert shared.to_json() == plain.to_json(), code
    assert np.array_equal(prepared.cohort(["Child Welfare"]).index,
                          core.of_agencies(prepared.episodes, ["Child Welfare"]).index)


def test_ids_are_coded_once_as_trimmed_text_and_looked_up_as_lookup_does(tmp_path):
    from linkages.outcomes import ccwip
    from linkages.outcomes.measures import Inputs

    frame = pd.DataFrame({"child_id": [" A", "B", "A ", None, "C", "B", ""],
                          "n": [1, 2, 3, 4, 5, 6, 7]})
    inputs = Inputs(foster_care=prepare(fc_frame(tmp_path, episode("A", "2020-01-01"))),
                    agencies=(core.CHILD_WELFARE,), files={"visits": frame})
    codes_, ids = ccwip._ids(inputs, "visits", "child_id")
    # " A" and "A " are one id once trimmed; a missing id reads as the empty text (as _text).
    assert list(ids[codes_]) == list(ccwip._text(frame["child_id"]))
    assert len(set(ids)) == len(ids) and codes_[0] == codes_[2]
    index = pd.Index(["B", "A", "Z"])
    assert list(ccwip._id_lookup(index, inputs, "visits", "child_id")) == list(
        ccwip._lookup(index, frame["child_id"]))
    assert ccwip._ids(inputs, "visits", "child_id")[0] is codes_  # worked out once
    # Nothing to trim: the ids are the column's distinct values as they are.
    plain = pd.DataFrame({"child_id": ["x", "y", "x"]})
    inputs.files["contacts"] = plain
    codes2, ids2 = ccwip._ids(inputs, "contacts", "child_id")
    assert list(ids2) == ["x", "y"] and list(codes2) == [0, 1, 0]


def test_placement_homes_looked_up_by_episode_and_start(tmp_path):
    from linkages.outcomes import ccwip
    from linkages.outcomes.measures import Inputs

    frame = fc_frame(tmp_path, placements("A", "2021-01-01", "", "", [
        {"placement_start": "2021-01-01", "placement_end": "2021-03-01"},
        {"placement_start": "2021-03-01", "placement_end": ""}]),
        episode("B", "2021-02-01"))
    fc = prepare(frame)
    homes = pd.DataFrame({"episode_id": ["A-E1 ", "A-E1", "B-E1", "Z-E1"],
                          "placement_start": pd.to_datetime(["2021-01-01", "2021-03-01",
                                                             "2021-02-02", "2021-01-01"]),
                          "placement_home_id": ["H1", "H2", "H9", "H0"]})
    inputs = Inputs(foster_care=fc, agencies=(core.CHILD_WELFARE,), files={"homes": homes})
    eps = fc.episodes
    on = pd.Series(pd.Timestamp("2021-02-15"), index=eps.index)
    placed = fc.placement_on(eps.index, on)
    got = dict(zip(eps["child_id"], ccwip._home_on(inputs, eps, placed), strict=True))
    # A: her first placement's home (the id trimmed); B: no row for her placement's start.
    assert got == {"A": "H1", "B": None}
    on = pd.Series(pd.Timestamp("2021-03-01"), index=eps.index)
    got = dict(zip(eps["child_id"], ccwip._home_on(inputs, eps, fc.placement_on(eps.index, on)),
                   strict=True))
    assert got["A"] == "H2"


def test_coded_text_is_factorize_of_trimmed_text():
    for values in (pd.Series([" a", "b ", " a", "b", "c", "a"]),
                   pd.Series(["x", "y", "x"]),
                   pd.Series([" a", None, 1, 1.0, True, "1 "], dtype=object),
                   pd.Series([3, 1, 3]), pd.Series([], dtype=object)):
        codes_, texts = core.coded_text(values)
        want_codes, want_texts = pd.factorize(core.trimmed_text(values))
        assert list(codes_) == list(want_codes) and list(texts) == list(want_texts)
