"""Link presets: figures, provenance, time-unit scaling."""

import math

import numpy as np
import pytest

from qcoord.entanglement import EntanglementError, EntanglementPool, IdealSource, StreamingSource, presets


def test_ideal():
    link = presets.ideal()
    assert isinstance(link, IdealSource) and link.visibility == 1.0 and math.isinf(link.supply_rate)


def test_memory_preset_figures_and_time_unit():
    m = presets.memory_preset()
    assert isinstance(m, EntanglementPool)
    assert math.isclose(m.memory_time, 1.0) and math.isclose(m.supply_rate, 1.0)
    assert math.isclose((1 + 3 * m.visibility) / 4, 0.70)
    ms = presets.memory_preset(time_unit=1e-3)  # time unit = 1 ms
    assert math.isclose(ms.rate, 1e-3) and math.isclose(ms.memory_time, 1000.0)
    summ = presets.summary(ms, time_unit=1e-3)
    assert math.isclose(summ["decisions_per_second"], 1.0) and math.isclose(summ["memory_time_s"], 1.0)
    lab = presets.memory_preset(variant="memory_lab")
    assert math.isclose(lab.rate, 39.0) and math.isclose(lab.memory_time, 0.2)
    better = presets.memory_preset(fidelity=0.95, pair_rate_per_s=10.0)
    assert math.isclose(better.visibility, (4 * 0.95 - 1) / 3) and better.rate == 10.0


def test_streaming_preset_figures():
    s = presets.streaming_preset()
    assert isinstance(s, StreamingSource)
    assert math.isclose(s.coincidence_rate, 9.0, rel_tol=1e-12)
    assert math.isclose(s.eta_a * s.eta_b, 10 ** (-7.9), rel_tol=1e-12)  # the paper's 79 dB
    assert s.visibility == 0.86
    summ = presets.summary(s)
    assert math.isclose(summ["mean_latency_s"], 1 / 9) and math.isclose(summ["fidelity"], 0.895)
    # in a 1 ms time unit an isolated decision waits 111 time units on average
    d = presets.streaming_preset(time_unit=1e-3).schedule(1e4 * np.arange(1, 5001), 1)
    assert abs(d.latency.mean() / (1000 / 9) - 1) < 0.1
    # the time-tag exchange can be charged; without it the sides would rarely share a pair
    assert math.isclose(presets.streaming_preset(tag_latency_s=0.01).mean_latency, 1 / 9 + 0.01)
    assert s.local_match_probability < 1e-4


def test_sources_are_cited_with_paper_and_assumed_figures():
    for key in ("memory", "memory_lab", "streaming"):
        src = presets.SOURCES[key]
        assert "doi:10." in src.citation and src.from_paper and src.assumed
    assert "Nature 629" in presets.SOURCES["memory"].citation
    assert "Nature Communications 13" in presets.SOURCES["streaming"].citation


def test_presets_schedule_runs():
    t = np.cumsum(np.random.default_rng(0).exponential(0.5, 1000))
    d = presets.memory_preset().schedule(t, 0)
    # at most one pair per second is generated: fallbacks at least 1 - 1/2 of requests at 2 per second
    assert d.fallback.mean() > 0.45


def test_bad_preset_arguments():
    with pytest.raises(EntanglementError, match="^time_unit"):
        presets.memory_preset(time_unit=0.0)
    with pytest.raises(EntanglementError, match="^variant"):
        presets.memory_preset(variant="nope")
    with pytest.raises(EntanglementError, match="^fidelity"):
        presets.memory_preset(fidelity=0.1)


def test_memory_preset_refreshes_a_full_memory():
    """With capacity 1 and requests rarer than pairs, refreshing keeps the stored pair young."""
    t = np.cumsum(np.random.default_rng(1).exponential(10.0, 2000))  # one request per 10 s
    fresh = presets.memory_preset().schedule(t, 0)
    stale = presets.memory_preset(when_full="drop_new").schedule(t, 0)
    used_f, used_s = ~fresh.fallback, ~stale.fallback
    # refreshed: age ~ Exp(pair rate 1/s) (mean 1 s); first-stored: age ~ the request gap (~10 s)
    assert 0.8 < fresh.age[used_f].mean() < 1.2
    assert stale.age[used_s].mean() > 5.0
    assert fresh.visibility[used_f].mean() > 5 * stale.visibility[used_s].mean()
