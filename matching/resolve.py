"""Resolve: cluster records into persons, within each source and across.

Persons are the connected components of the match links (within-source duplicates and
cross-source links together), so a child with two CalWORKs records counts once. Because one
bad link can chain two different children into one component, every component of more than two
records is checked for coherence: all its record pairs are scored, and a component where any
two records clearly disagree (posterior below the coherence floor, a twin/sibling pattern, or a
clerically rejected pair) is rebuilt greedily from its strongest links, never joining two
groups that hold such a pair (complete-linkage constraint).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from matching.blocking import _expand, _group_bounds

ConflictFn = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass
class Resolution:
    labels: np.ndarray        # int64 person label per record
    split_components: int     # components rebuilt because they were incoherent
    components_checked: int


def one_to_one(a: np.ndarray, b: np.ndarray, weight: np.ndarray, cross: np.ndarray
               ) -> np.ndarray:
    """Keep within-source links, and cross-source links that are the best for both records."""
    keep = ~cross.copy()
    idx = np.flatnonzero(cross)
    if len(idx) == 0:
        return keep
    order = idx[np.argsort(-weight[idx], kind="stable")]
    best_a = {}
    best_b = {}
    for i in order:  # only the written links: small
        best_a.setdefault(int(a[i]), i)
        best_b.setdefault(int(b[i]), i)
    for i in idx:
        keep[i] = best_a[int(a[i])] == i and best_b[int(b[i])] == i
    return keep


def components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
    return connected_components(graph, directed=False)[1].astype(np.int64)


def internal_pairs(labels: np.ndarray, members: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every record pair inside the components of ``members`` (vectorised)."""
    order = members[np.argsort(labels[members], kind="stable")]
    keys = labels[order]
    if len(order) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    _, end = _group_bounds(keys)
    pos = np.arange(len(order), dtype=np.int64)
    fa, fb = _expand(pos, pos + 1, end)
    return order[fa], order[fb]


def _greedy(members: np.ndarray, a: np.ndarray, b: np.ndarray, weight: np.ndarray,
            clashes: set[tuple[int, int]] | None, conflicts: ConflictFn,
            max_size: int) -> dict[int, int]:
    """Rebuild one component from its strongest links without joining conflicting records.

    ``clashes``: the component's conflicting record pairs when they were all scored already;
    otherwise (a very large component) each candidate merge is scored as it comes."""
    group = {int(r): int(r) for r in members}
    people = {int(r): [int(r)] for r in members}
    for i in np.argsort(-weight, kind="stable"):
        ga, gb = group[int(a[i])], group[int(b[i])]
        if ga == gb:
            continue
        ma, mb = people[ga], people[gb]
        if len(ma) + len(mb) > max_size:
            continue
        if clashes is not None:
            if any((min(x, y), max(x, y)) in clashes for x in ma for y in mb):
                continue
        else:
            xa = np.repeat(np.array(ma), len(mb))
            xb = np.tile(np.array(mb), len(ma))
            if conflicts(xa, xb).any():
                continue
        if len(ma) < len(mb):
            ga, gb, ma, mb = gb, ga, mb, ma
        ma.extend(mb)
        for r in mb:
            group[r] = ga
        del people[gb]
    return group


SCORE_ALL_PAIRS_UP_TO = 200
"""Components up to this size have all their record pairs scored at once (vectorised)."""


def resolve(n: int, a: np.ndarray, b: np.ndarray, weight: np.ndarray, conflicts: ConflictFn,
            max_cluster_size: int) -> Resolution:
    labels = components(n, a, b)
    sizes = np.bincount(labels, minlength=1)
    size_of = sizes[labels]
    scorable = np.flatnonzero((size_of > 2) & (size_of <= SCORE_ALL_PAIRS_UP_TO))
    pa, pb = internal_pairs(labels, scorable)
    clash = conflicts(pa, pb) if len(pa) else np.zeros(0, bool)
    bad_labels = set(np.unique(labels[pa[clash]]).tolist())
    bad_labels |= set(np.unique(labels[size_of > max_cluster_size]).tolist())
    checked = len(np.unique(labels[size_of > 2]))
    if bad_labels:
        bad = np.array(sorted(bad_labels))
        clash_sets: dict[int, set[tuple[int, int]]] = {int(k): set() for k in bad}
        for x, y in zip(pa[clash].tolist(), pb[clash].tolist(), strict=True):
            lab = int(labels[x])
            if lab in clash_sets:
                clash_sets[lab].add((min(x, y), max(x, y)))
        rec_sel = np.flatnonzero(np.isin(labels, bad))
        rec_sel = rec_sel[np.argsort(labels[rec_sel], kind="stable")]
        edge_sel = np.flatnonzero(np.isin(labels[a], bad))
        edge_sel = edge_sel[np.argsort(labels[a][edge_sel], kind="stable")]
        rec_lo = np.searchsorted(labels[rec_sel], bad, side="left")
        rec_hi = np.searchsorted(labels[rec_sel], bad, side="right")
        edge_lo = np.searchsorted(labels[a][edge_sel], bad, side="left")
        edge_hi = np.searchsorted(labels[a][edge_sel], bad, side="right")
        next_label = int(labels.max()) + 1
        for k, lab in enumerate(bad.tolist()):
            members = rec_sel[rec_lo[k]:rec_hi[k]]
            e = edge_sel[edge_lo[k]:edge_hi[k]]
            clashes = clash_sets[lab] if len(members) <= SCORE_ALL_PAIRS_UP_TO else None
            group = _greedy(members, a[e], b[e], weight[e], clashes, conflicts,
                            max_cluster_size)
            roots = np.array([group[int(r)] for r in members])
            _, local = np.unique(roots, return_inverse=True)
            labels[members] = next_label + local
            next_label += int(local.max()) + 1
    return Resolution(labels=labels, split_components=len(bad_labels), components_checked=checked)
