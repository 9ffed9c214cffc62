"""The numba queue kernels against the plain-Python reference, and queueing identities."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qcoord.system._kernels import run_queue, run_queue_reference

DISCIPLINES = ("srpt", "np", "fcfs")


@st.composite
def job_lists(draw, grid: bool):
    """Random job lists; on a coarse grid, ties in releases, sizes and completions are frequent."""
    m = draw(st.integers(0, 30))
    if grid:
        gaps = draw(st.lists(st.integers(0, 4), min_size=m, max_size=m))
        sizes = draw(st.lists(st.integers(0, 6), min_size=m, max_size=m))
        release = np.cumsum(np.array(gaps, dtype=float)) * 0.5
        size = np.array(sizes, dtype=float) * 0.25
    else:
        gaps = draw(st.lists(st.floats(0, 3, allow_nan=False), min_size=m, max_size=m))
        sizes = draw(st.lists(st.floats(1e-6, 4, allow_nan=False), min_size=m, max_size=m))
        release = np.cumsum(np.array(gaps, dtype=float))
        size = np.array(sizes, dtype=float)
    return release, size


def _same(a, b):
    for x, y in zip(a[:3], b[:3]):
        assert x.shape == y.shape
        np.testing.assert_array_equal(x, y)
    assert a[3] == b[3]


@pytest.mark.parametrize("discipline", DISCIPLINES)
@given(jobs=job_lists(grid=False))
def test_kernel_equals_reference_random(discipline, jobs):
    release, size = jobs
    _same(run_queue(release, size, discipline), run_queue_reference(release, size, discipline))


@pytest.mark.parametrize("discipline", DISCIPLINES)
@given(jobs=job_lists(grid=True))
def test_kernel_equals_reference_with_ties(discipline, jobs):
    release, size = jobs
    _same(run_queue(release, size, discipline), run_queue_reference(release, size, discipline))


def test_kernel_equals_reference_long_list():
    rng = np.random.default_rng(7)
    release = np.cumsum(rng.exponential(1.0, 3000))
    size = rng.exponential(0.9, 3000)
    for d in DISCIPLINES:
        _same(run_queue(release, size, d), run_queue_reference(release, size, d))


@given(jobs=job_lists(grid=False))
def test_work_conservation_and_srpt_optimality(jobs):
    """Idle gaps do not depend on the discipline; busy time = total work; SRPT minimises sum of flow times."""
    release, size = jobs
    out = {d: run_queue(release, size, d) for d in DISCIPLINES}

    def real_gaps(gs, ge):
        # A gap shorter than float resolution can exist in one discipline's summation order and not in
        # another's (a completion computed as r - 1 ulp instead of r + 1 ulp before a release r):
        # compare the gaps that are longer than that.
        keep = (ge - gs) > 1e-9 * max(1.0, float(np.max(ge, initial=0.0)))
        return gs[keep], ge[keep]

    ref_gs, ref_ge = real_gaps(out["fcfs"][1], out["fcfs"][2])
    for d in DISCIPLINES:
        comp, gs, ge, last = out[d]
        g0, g1 = real_gaps(gs, ge)
        np.testing.assert_allclose(g0, ref_gs, rtol=1e-12, atol=1e-9)
        np.testing.assert_allclose(g1, ref_ge, rtol=1e-12, atol=1e-9)
        assert np.all(comp >= release + size - 1e-9)
        if size.size:
            # time 0 .. last completion = idle gaps + total work
            assert last == pytest.approx(np.sum(ge - gs) + size.sum(), rel=1e-12, abs=1e-9)
            assert last == pytest.approx(comp.max(), abs=1e-12)
    flows = {d: float(np.sum(out[d][0] - release)) for d in DISCIPLINES}
    assert flows["srpt"] <= flows["np"] + 1e-9
    assert flows["srpt"] <= flows["fcfs"] + 1e-9


def test_hand_computed_example():
    # jobs: (release, size) = (0, 3), (1, 1), (1.5, 0.5), (10, 1)
    release = np.array([0.0, 1.0, 1.5, 10.0])
    size = np.array([3.0, 1.0, 0.5, 1.0])
    comp, gs, ge, last = run_queue(release, size, "srpt")
    # srpt: job1 preempts at 1 (rem 2 > 1), job2 at 1.5 (rem 0.5 of job1 = 0.5: tie keeps job1) -> job1 done 2,
    # job2 2.5, job0 resumes with 2 left -> 4.5; idle 4.5..10; job3 done 11
    np.testing.assert_array_equal(comp, [4.5, 2.0, 2.5, 11.0])
    np.testing.assert_array_equal(gs, [4.5])
    np.testing.assert_array_equal(ge, [10.0])
    assert last == 11.0
    comp, *_ = run_queue(release, size, "np")
    np.testing.assert_array_equal(comp, [3.0, 4.5, 3.5, 11.0])
    comp, *_ = run_queue(release, size, "fcfs")
    np.testing.assert_array_equal(comp, [3.0, 4.0, 4.5, 11.0])
    # the first job starts at 0.5: an initial gap [0, 0.5] is recorded
    _, gs, ge, _ = run_queue(np.array([0.5]), np.array([1.0]), "fcfs")
    np.testing.assert_array_equal(gs, [0.0])
    np.testing.assert_array_equal(ge, [0.5])


def test_bad_discipline():
    with pytest.raises(ValueError, match="discipline"):
        run_queue(np.zeros(1), np.ones(1), "lifo")
