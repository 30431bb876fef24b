"""Beam searches of many label vectors at once find exactly what one search at a time finds.

The calibration runs the segment search on dozens of shuffled outcomes together
(:func:`icpkit.discovery.search.beam_search_many`); its array bookkeeping must reproduce a plain
beam search member by member, ties included, or the ICP file would depend on how shuffles are
batched. The reference below is that plain search, written out loop by loop.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from icpkit.discovery.config import SearchConfig
from icpkit.discovery.search import TraitColumns, beam_search, beam_search_many, quality


def _reference(H, y, population, columns, kinds, cfg):
    """A plain beam search: one member at a time, candidates in a dict, stable sorts."""
    n_pop = int(population.sum())
    if n_pop == 0:
        return None, 0
    p0 = float(y[population].mean())
    min_n = max(cfg.min_best, int(cfg.min_support * n_pop))
    n_all = population.astype(np.float32) @ H
    n_best = (y & population).astype(np.float32) @ H
    q = quality(n_all, n_best, p0)
    q = np.where((n_all >= min_n) & (n_best >= cfg.min_best), q, -np.inf)
    evaluated = H.shape[1]

    def cover_of(key):
        c = population.copy()
        for t in key:
            c &= H[:, t] > 0
        return c

    beam = []
    for j in np.argsort(-q)[: cfg.beam_width]:
        if not np.isfinite(q[j]) or q[j] <= 0:
            break
        beam.append(((int(j),), int(n_all[j]), float(q[j])))
    best = beam[0] if beam else None
    cols = np.asarray(columns)
    kinds = np.asarray(kinds)
    for _ in range(1, cfg.max_depth):
        if not beam:
            break
        cands = {}
        for key, n, qual in beam:
            cover = cover_of(key)
            nn = (cover.astype(np.float32)) @ H
            nb = (cover & y).astype(np.float32) @ H
            qq = quality(nn, nb, p0)
            used = [cols[t] for t in key]
            allowed = np.array(
                [(c not in used) or kinds[j] in ("has", "lacks") for j, c in enumerate(cols)]
            )
            allowed[list(key)] = False
            for t in key:
                if kinds[t] in ("ge", "lt") and used.count(cols[t]) == 1:
                    other = "lt" if kinds[t] == "ge" else "ge"
                    allowed |= (cols == cols[t]) & (kinds == other)
            evaluated += int(allowed.sum())
            valid = (nn >= min_n) & (nb >= cfg.min_best) & (nn < n) & allowed
            valid &= qq > qual * 1.001
            js = np.flatnonzero(valid)
            if len(js) > cfg.beam_width:
                js = js[np.argpartition(-qq[js], cfg.beam_width - 1)[: cfg.beam_width]]
            for j in js:
                k2 = tuple(sorted((*key, int(j))))
                if k2 not in cands or cands[k2][1] < qq[j]:
                    cands[k2] = (int(nn[j]), float(qq[j]))
        top = sorted(cands.items(), key=lambda kv: -kv[1][1])[: cfg.beam_width]
        beam = [(k2, n2, q2) for k2, (n2, q2) in top]
        if beam and beam[0][2] > best[2]:
            best = beam[0]
    if best is None:
        return None, evaluated
    return (best[0], best[2], cover_of(best[0])), evaluated


def _data(seed: int, n: int, k: int):
    """Traits with ties (duplicated columns), bands (ge/lt pairs) and free tech-stack items."""
    rng = np.random.default_rng(seed)
    base = rng.random((n, k)) < rng.uniform(0.05, 0.6, k)
    base[:, k // 2] = base[:, 0]  # an exact duplicate: equal quality everywhere
    H = base.astype(np.float32)
    columns, kinds = [], []
    for j in range(k):
        if j % 5 == 0:
            columns.append(f"num{j // 10}")
            kinds.append("ge" if j % 10 == 0 else "lt")
        elif j % 5 == 1:
            columns.append("stack")
            kinds.append("has")
        else:
            columns.append(f"cat{j % 7}")
            kinds.append("value")
    y = rng.random(n) < 0.3 + 0.3 * base[:, 1]
    return H, y, columns, kinds, rng


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    width=st.sampled_from([2, 3, 5, 20]),
    depth=st.sampled_from([1, 2, 3, 4]),
    min_best=st.sampled_from([1, 3, 10]),
    in_play=st.sampled_from([1.0, 0.6]),
)
def test_batched_beams_equal_a_plain_search_per_label_vector(seed, width, depth, min_best, in_play):
    H, y, columns, kinds, rng = _data(seed, n=160, k=30)
    cfg = SearchConfig(beam_width=width, max_depth=depth, min_best=min_best, min_support=0.01)
    population = rng.random(len(y)) < in_play
    Y = np.column_stack([y] + [rng.permutation(y) for _ in range(9)])
    got = beam_search_many(TraitColumns(H, columns, kinds), Y, population, cfg)
    for i in range(Y.shape[1]):
        want, want_eval = _reference(H, Y[:, i], population, columns, kinds, cfg)
        sg, evaluated = got[i]
        assert evaluated == want_eval
        if want is None:
            assert sg is None
            continue
        assert sg is not None
        assert (sg.traits, sg.quality) == (want[0], want[1])
        assert np.array_equal(sg.cover, want[2])


def test_beam_search_finds_a_planted_conjunction_and_matches_its_batch():
    rng = np.random.default_rng(3)
    n, k = 2000, 40
    Hb = rng.random((n, k)) < 0.3
    y = rng.random(n) < np.where(Hb[:, 4] & Hb[:, 7], 0.8, 0.2)
    columns = [f"c{j}" for j in range(k)]
    kinds = ["value"] * k
    cfg = SearchConfig()
    pop = np.ones(n, dtype=bool)
    H = Hb.astype(np.float32)
    sg, _ = beam_search(H, y, pop, columns, kinds, cfg)
    assert sg is not None and set(sg.traits) >= {4, 7}
    batch = beam_search_many(TraitColumns(H, columns, kinds), np.column_stack([y, y]), pop, cfg)
    assert [b[0].traits for b in batch] == [sg.traits, sg.traits]


def test_no_population_means_no_subgroup():
    H, y, columns, kinds, _ = _data(1, n=50, k=10)
    out = beam_search_many(
        TraitColumns(H, columns, kinds),
        np.column_stack([y, y]),
        np.zeros(len(y), dtype=bool),
        SearchConfig(),
    )
    assert out == [(None, 0), (None, 0)]


@pytest.mark.parametrize("batch", [1, 4, 39])
def test_shuffles_leave_the_generator_as_one_at_a_time_would(batch, monkeypatch):
    """Batching draws shuffles ahead; the generator must end where the used ones leave it."""
    import icpkit.discovery.search as search
    from icpkit.discovery.significance import shuffle_within

    monkeypatch.setattr(search, "_FIRST_BATCH", batch)
    H, y, columns, kinds, _ = _data(5, n=120, k=12)
    cfg = SearchConfig(max_permutations=39, min_best=3)
    pairs = np.column_stack([y, ~y])
    pop = np.ones(len(y), dtype=bool)
    rng = np.random.default_rng(11)
    sh = search._Shuffles(
        (None, TraitColumns(H, columns, kinds), []),  # type: ignore[arg-type]
        pairs,
        pop,
        np.zeros(len(y), dtype=bool),
        cfg,
        3,
        None,  # type: ignore[arg-type]
        rng,
    )
    sh._more(6)  # draw ahead, as a batch does
    sh.used = 7
    sh.rewind()
    ref = np.random.default_rng(11)
    for _ in range(7):
        shuffle_within(pairs, pop, ref)
    assert rng.bit_generator.state == ref.bit_generator.state
