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
