"""Standardisation rules, EM on simulated comparison vectors, clerical overrides."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matching_cases import person_files

from matching import MatchSettings, link
from matching.estimate import expectation_maximisation, level_shares
from matching.standardise import given_name, normalise_ssn, phonetic, surname_tokens


def test_surnames_split_join_particles_and_drop_accents() -> None:
    assert surname_tokens("García López") == ("GARCIALOPEZ", ["GARCIA", "LOPEZ"])
    assert surname_tokens("GARCIA-LOPEZ") == ("GARCIALOPEZ", ["GARCIA", "LOPEZ"])
    assert surname_tokens("de la Cruz") == ("DELACRUZ", ["DELACRUZ", "CRUZ"])
    assert surname_tokens("O'NEAL JR") == ("ONEAL", ["ONEAL"])
    assert surname_tokens("MUÑOZ")[0] == "MUNOZ"


def test_newborn_placeholders_are_missing() -> None:
    for placeholder in ["BABY BOY", "Baby Girl", "BB", "INFANT", "UNK", "", None, "BABY GIRL 2"]:
        assert given_name(placeholder) == ""
    assert given_name("José") == "JOSE"


def test_invalid_ssns_are_missing() -> None:
    got = normalise_ssn(pd.Series(["123-45-6789", "000123456", "666123456", "912345678",
                                   "123456789", "111111111", "123-00-4567", "", None,
                                   "555-12-3456"])).tolist()
    assert got[:9] == [-1] * 9  # 123-45-6789 is the placeholder 123456789
    assert got[9] == 555123456


def test_sound_alike_spellings_share_a_key() -> None:
    assert phonetic("YESENIA") == phonetic("LLESENIA")
    assert phonetic("VALERIA") == phonetic("BALERIA")
    assert phonetic("JESICA") == phonetic("JESSICA")
    assert phonetic("MARIA") != phonetic("MARIO")


def test_em_recovers_known_m_u_and_prior() -> None:
    rng = np.random.default_rng(3)
    n_levels = (3, 2, 4)
    m_true = [np.array([0.05, 0.15, 0.8]), np.array([0.1, 0.9]),
              np.array([0.02, 0.03, 0.15, 0.8])]
    u_true = [np.array([0.9, 0.08, 0.02]), np.array([0.5, 0.5]),
              np.array([0.85, 0.1, 0.04, 0.01])]
    n, lam = 200_000, 0.1
    is_match = rng.random(n) < lam
    levels = np.empty((n, 3), dtype=np.int8)
    for f, size in enumerate(n_levels):
        levels[is_match, f] = rng.choice(size, is_match.sum(), p=m_true[f])
        levels[~is_match, f] = rng.choice(size, (~is_match).sum(), p=u_true[f])
    # u from "random pairs": non-matches only, as random pairs almost always are.
    randoms = np.stack([rng.choice(s, 500_000, p=u_true[f]) for f, s in enumerate(n_levels)],
                       axis=1).astype(np.int8)
    u = level_shares(randoms, n_levels)
    model = expectation_maximisation(levels, np.zeros(n, np.int8), np.ones(n), u, n_levels)
    assert abs(model.prior["cross"] - lam) < 0.01
    for f in range(3):
        np.testing.assert_allclose(model.m[f], m_true[f], atol=0.02)
        np.testing.assert_allclose(model.u[f], u_true[f], atol=0.01)


def test_clerical_decisions_override_the_model() -> None:
    left, right = person_files()
    settings = MatchSettings.from_yaml("config/matching.yaml")
    clerical = pd.DataFrame({"left_id": ["L1", "L2"], "right_id": ["R1", "R3"],
                             "decision": ["non_match", "match"]})
    result = link(left, right, settings, clerical=clerical)
    m = result.links[result.links["decision"] == "match"]
    pairs = set(zip(m["left_id"], m["right_id"], strict=True))
    assert ("L1", "R1") not in pairs
    assert ("L2", "R3") in pairs
    assert result.stats["clerical_confirmed"] == 1
    row = result.links[(result.links.left_id == "L2") & (result.links.right_id == "R3")]
    assert (row["basis"] == "clerical").all()


def test_person_anchored_em_recovers_m_and_the_random_pair_prior() -> None:
    """Candidates = all true matches + many non-matches; the prior is per possible pair."""
    from matching.estimate import anchored_em

    rng = np.random.default_rng(11)
    n_levels = (3, 4, 3, 2, 2)  # four person fields, then one family field
    m_true = [np.array([0.02, 0.08, 0.9]), np.array([0.01, 0.02, 0.07, 0.9]),
              np.array([0.02, 0.03, 0.95]), np.array([0.02, 0.98]), np.array([0.3, 0.7])]
    u_true = [np.array([0.97, 0.02, 0.01]), np.array([0.93, 0.05, 0.019, 0.001]),
              np.array([0.999, 0.0009, 0.0001]), np.array([0.5, 0.5]), np.array([0.99, 0.01])]
    matches, non_matches, all_pairs = 20_000, 400_000, 1e9
    is_match = np.r_[np.ones(matches, bool), np.zeros(non_matches, bool)]
    levels = np.empty((len(is_match), len(n_levels)), dtype=np.int8)
    for f, size in enumerate(n_levels):
        levels[is_match, f] = rng.choice(size, matches, p=m_true[f])
        levels[~is_match, f] = rng.choice(size, non_matches, p=u_true[f])
    model = anchored_em(levels, np.zeros(len(levels), np.int8), np.ones(len(levels)),
                        u_true, n_levels, person=[0, 1, 2, 3],
                        pair_totals=np.array([all_pairs, 1.0, 1.0]))
    assert abs(model.prior["cross"] - matches / all_pairs) / (matches / all_pairs) < 0.05
    for f in range(len(n_levels)):
        np.testing.assert_allclose(model.m[f], m_true[f], atol=0.03)


def _levels(left: list[dict[str, str]], right: list[dict[str, str]]) -> np.ndarray:
    """Comparison levels of left[i] against right[i] (both standardised together)."""
    from matching.compare import compare
    from matching.standardise import load_nicknames, standardise

    settings = MatchSettings.from_yaml("config/matching.yaml")
    rec = standardise(pd.DataFrame(left), pd.DataFrame(right),
                      load_nicknames(settings.nicknames_path))
    a = np.arange(len(left), dtype=np.int64)
    return compare(rec, a, a + len(left))


def test_first_name_levels_reach_misspelt_nicknames_short_names_and_swapped_middles() -> None:
    from matching.compare import FIELD_INDEX

    pairs = [  # (left first, left middle, right first, right middle, lowest level expected)
        ("JOSEPH", "", "JOYE", "", 2),        # JOEY, misspelt
        ("JESUS", "", "CUY", "", 2),          # CHUY, misspelt
        ("NIA", "", "NIW", "", 1),            # one letter off a three-letter name
        ("LUIS", "BENJAMIN", "BENJAMN", "", 2),  # goes by the middle name, misspelt
        ("SEBASTIAN", "", "EDUARDO", "SEBAS", 3),  # middle name is the nickname
        ("JOSE", "", "HOSE", "", 3),          # Spanish J sounds as H
        ("XIMENA", "", "XIMI", "", 3),        # Spanish nickname in the table
        ("SOFIA", "", "EMMA", "", 0),         # different names stay different
        ("MIA", "", "SOPHIA", "", 0),
    ]
    left = [{"record_id": f"L{i}", "first_name": p[0], "middle_name": p[1], "last_name": "RUIZ"}
            for i, p in enumerate(pairs)]
    right = [{"record_id": f"R{i}", "first_name": p[2], "middle_name": p[3], "last_name": "RUIZ"}
             for i, p in enumerate(pairs)]
    got = _levels(left, right)[:, FIELD_INDEX["first_name"]]
    for pair, level in zip(pairs, got, strict=True):
        if pair[4] == 0:
            assert level == 0, pair
        else:
            assert level >= pair[4], pair


def test_parent_surname_that_is_the_childs_own_is_its_own_level() -> None:
    from matching.compare import FIELD_INDEX, PARENT_SURNAME_ECHO

    left = [{"record_id": "L0", "first_name": "ANA", "last_name": "GARCIA",
             "parent_first_name": "ROSA", "parent_last_name": "GARCIA"},
            {"record_id": "L1", "first_name": "ANA", "last_name": "GARCIA",
             "parent_first_name": "ROSA", "parent_last_name": "ZAMUDIO"}]
    right = [{**row, "record_id": row["record_id"].replace("L", "R")} for row in left]
    got = _levels(left, right)[:, FIELD_INDEX["parent_last_name"]]
    assert got.tolist() == [PARENT_SURNAME_ECHO, PARENT_SURNAME_ECHO + 1]


def test_u_is_measured_again_among_children_who_share_a_surname() -> None:
    """Where mothers carry the family surname, two namesake children agree on the mother's
    surname far more often than two random children: the same-surname u says so."""
    from matching.compare import FIELD_INDEX, PARENT_SURNAME_ECHO
    from matching.pipeline import fit, random_pairs_sharing_surname
    from matching.standardise import load_nicknames, standardise

    left, right = person_files(2000, 600)
    for frame in (left, right):
        frame["parent_last_name"] = frame["last_name"]
    settings = MatchSettings.from_yaml("config/matching.yaml")
    rec = standardise(left, right, load_nicknames(settings.nicknames_path))
    a, b = random_pairs_sharing_surname(rec, 5000, seed=1)
    assert len(a) > 4000
    assert (rec.source[a] == 0).all() and (rec.source[b] == 1).all()
    shares = (rec.last_tokens[a][:, :, None] == rec.last_tokens[b][:, None, :]) \
        & (rec.last_tokens[a][:, :, None] >= 0)
    assert shares.any(axis=(1, 2)).all()
    from matching.blocking import block
    from matching.pipeline import compare_all

    cand = block(rec, settings.passes, settings.max_block)
    model = fit(rec, cand, compare_all(rec, cand.a, cand.b), settings)
    f = FIELD_INDEX["parent_last_name"]
    assert model.u_for(1)[f][PARENT_SURNAME_ECHO] > 0.5
    assert model.u_for(0)[f][PARENT_SURNAME_ECHO] < 0.1


def test_same_surname_u_does_not_count_the_true_matches_of_a_small_file() -> None:
    """When every surname is rare, random pairs that share one are mostly the same person:
    they must not make agreement on a birth date look common among non-matches."""
    from matching.blocking import block
    from matching.compare import FIELD_INDEX
    from matching.pipeline import compare_all, fit
    from matching.standardise import load_nicknames, standardise

    left, right = person_files(600, 400)
    letters = np.array(list("BCDFGHJKLMNPRSTVZ"))
    rng = np.random.default_rng(5)
    rare = ["".join(rng.choice(letters, 3)) + "ANO" for _ in range(1000)]
    left["last_name"] = rare[:600]
    right["last_name"] = rare[:400] + rare[600:900]
    settings = MatchSettings.from_yaml("config/matching.yaml")
    rec = standardise(left, right, load_nicknames(settings.nicknames_path))
    cand = block(rec, settings.passes, settings.max_block)
    model = fit(rec, cand, compare_all(rec, cand.a, cand.b), settings)
    dob_exact = model.u_for(1)[FIELD_INDEX["dob"]][-1]
    assert dob_exact < 0.05


def test_misspelt_names_and_street_still_meet_on_zip_and_house_number() -> None:
    from matching.blocking import block
    from matching.standardise import load_nicknames, standardise

    settings = MatchSettings.from_yaml("config/matching.yaml")
    left = pd.DataFrame([{"record_id": "L1", "first_name": "MICHAELA", "last_name": "NEUMANN",
                          "dob": "2010-01-02", "zip": "93701", "address": "8 STANLEY ST"}])
    right = pd.DataFrame([{"record_id": "R1", "first_name": "NICHAELA", "last_name": "JAKIMOW",
                           "dob": "", "zip": "93701", "address": "8 STANLYE ST"}])
    rec = standardise(left, right, load_nicknames(settings.nicknames_path))
    cand = block(rec, settings.passes, settings.max_block)
    assert len(cand) == 1
    assert cand.by_pass["zip_house_number"]["pairs"] == 1


def test_a_saved_model_scores_pairs_as_the_run_did() -> None:
    """`linkages explain --model` reloads the run's parameters: the surname-conditional u and
    the joint tables of dependent fields must come back with them."""
    from matching.compare import FIELD_NAMES
    from matching.estimate import Model

    left, right = person_files()
    result = link(left, right, MatchSettings.from_yaml("config/matching.yaml"))
    saved = Model.from_dict(result.parameters["model"], FIELD_NAMES)
    levels = np.array([[4, 4, 5, -1, 1, 1, 1, 2, 3, 4], [4, 4, 5, -1, 1, 0, 0, 0, 0, 0],
                       [3, 1, 3, 2, 1, 0, 1, 0, 0, 3]], np.int8)
    kinds = np.zeros(len(levels), np.int8)
    bucket = np.array([1, 1, 0], np.int8)
    assert result.model is not None
    np.testing.assert_allclose(saved.dependence(levels, kinds, bucket),
                               result.model.dependence(levels, kinds, bucket))
    np.testing.assert_allclose(saved.posterior(levels, kinds),
                               result.model.posterior(levels, kinds))


def test_swapped_names_with_one_misspelt_and_zip_digits_swapped_still_agree() -> None:
    from matching.compare import FIELD_INDEX

    left = [{"record_id": "L0", "first_name": "HANNAH", "last_name": "MIHAL", "zip": "93701"}]
    right = [{"record_id": "R0", "first_name": "MIHAL", "last_name": "HANNSH", "zip": "93710"}]
    got = _levels(left, right)[0]
    assert got[FIELD_INDEX["first_name"]] >= 2 and got[FIELD_INDEX["last_name"]] >= 2
    assert got[FIELD_INDEX["zip"]] == 1


def _renamed_children(n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """person_files plus n children whose CWS record carries another first name (no SSN)."""
    left, right = person_files()
    extra_left, extra_right = [], []
    for k in range(n):
        child = {"middle_name": "", "last_name": "GARCIA",
                 "dob": f"2011-{1 + k % 12:02d}-{1 + k % 27:02d}", "sex": "F", "ssn": "",
                 "county_cd": "10", "parent_first_name": "", "parent_last_name": "",
                 "case_id": ""}
        extra_left.append({**child, "record_id": f"XL{k}", "first_name": "GUADALUPE",
                           "zip": "93701", "address": f"{k + 1} KERN ST"})
        extra_right.append({**child, "record_id": f"XR{k}", "first_name": "MARISOL",
                            "zip": "93650", "address": f"{k + 700} ELM AVE"})
    return (pd.concat([left, pd.DataFrame(extra_left)], ignore_index=True),
            pd.concat([right, pd.DataFrame(extra_right)], ignore_index=True))


def test_confirmed_pairs_teach_the_model_what_a_match_looks_like() -> None:
    """Workers confirm most of a kind of true pair the model doubts (a first name changed);
    on the next run the model gives the rest of that kind a higher probability, and the
    stats say how its own probabilities compared with the workers' decisions."""
    settings = MatchSettings.from_yaml("config/matching.yaml")
    left, right = _renamed_children(40)

    def probability_of_unreviewed(result) -> float:  # type: ignore[no-untyped-def]
        rows = result.links[result.links["left_id"].isin([f"XL{k}" for k in range(30, 40)])
                            & (result.links["right_id"] == result.links["left_id"]
                               .str.replace("XL", "XR"))]
        return float(rows["match_probability"].mean()) if len(rows) else 0.0

    before = link(left, right, settings)
    reviewed = pd.DataFrame({"left_id": [f"XL{k}" for k in range(30)],
                             "right_id": [f"XR{k}" for k in range(30)],
                             "decision": ["match"] * 30})
    after = link(left, right, settings, clerical=reviewed)
    assert probability_of_unreviewed(after) > probability_of_unreviewed(before) + 0.1
    agreement = after.stats["clerical_agreement"]
    assert agreement["pairs"] == 30 and agreement["confirmed"] == 30
    assert 0 <= agreement["model_expected_confirmed"] <= 30
