"""Link presets: an ideal link, a memory-based link and a streaming link, with their sources.

Every preset takes ``time_unit``: the length of the simulator's time unit (the mean customer demand)
in **seconds**; rates quoted per second are multiplied by it, times divided by it. With the default
``time_unit = 1.0`` the rates are per second.

What each implies for decisions per second
------------------------------------------
A decision that uses entanglement consumes one pair, so the long-run rate of entanglement-assisted
decisions is at most the pair supply rate (:attr:`EntanglementPool.supply_rate`,
:attr:`StreamingSource.coincidence_rate`); above it a pool falls back to the classical strategy and a
streaming link makes decisions wait (a queue with service rate = coincidence rate).

=================  ===========================  ================  =======================================
preset             pairs (decisions) per second  visibility v       notes
=================  ===========================  ================  =======================================
``ideal``          unlimited                    1                  reference
``memory``         1 (assumed)                  0.6 (assumed)      T_mem = 1 s; v < 1/sqrt(2): no CHSH gain
``memory_lab``     39                           0.6 (assumed)      T_mem = 0.2 s; 2 m lab link
``streaming``      9                            0.86               mean added latency 1/9 s = 111 ms
=================  ===========================  ================  =======================================

With the reference model's requirement v > 0.824 (model.md section 5, d = 0.1), none of the published
deployed-fibre *memory* figures we could verify supports an entanglement advantage yet; the streaming
link's visibility 0.86 does, but only for decision rates well below 9 per second.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from .pool import EntanglementPool, IdealSource
from .states import EntanglementError, fidelity_from_visibility, visibility_from_fidelity
from .streaming import StreamingSource

__all__ = ["ideal", "memory_preset", "streaming_preset", "LinkSource", "SOURCES"]


@dataclass(frozen=True)
class LinkSource:
    """Provenance of a preset's figures.

    Attributes
    ----------
    citation : str
        Authors, title, journal, year, DOI.
    from_paper : dict
        Figures taken from the paper (SI units), each with where it is stated.
    assumed : dict
        Figures we had to assume, with the reason.
    """

    citation: str
    from_paper: dict[str, Any] = field(default_factory=dict)
    assumed: dict[str, Any] = field(default_factory=dict)


SOURCES: dict[str, LinkSource] = {
    "memory": LinkSource(
        citation=(
            "C. M. Knaut, A. Suleymanzade, Y.-C. Wei, et al., 'Entanglement of nanophotonic quantum memory "
            "nodes in a telecom network', Nature 629, 573-578 (2024), doi:10.1038/s41586-024-07252-z "
            "(arXiv:2310.01316)"
        ),
        from_paper={
            "deployed_fibre_km": (35.0, "abstract: 35 km fibre loop deployed in the Boston area"),
            "memory_time_s": (1.0, "abstract: 'second-long entanglement storage' in 29Si nuclear spins"),
        },
        assumed={
            "pair_rate_per_s": (1.0, "order of magnitude for heralded remote entanglement of single emitters; not checked against the paper's text"),
            "fidelity": (0.70, "assumed; the abstract gives no fidelity. Gives v = 0.6"),
            "capacity": (1, "one memory qubit pair per link"),
        },
    ),
    "memory_lab": LinkSource(
        citation=(
            "P. C. Humphreys, N. Kalb, J. P. J. Morits, et al., 'Deterministic delivery of remote entanglement "
            "on a quantum network', Nature 558, 268-273 (2018), doi:10.1038/s41586-018-0200-5 (arXiv:1712.07567)"
        ),
        from_paper={
            "pair_rate_per_s": (39.0, "abstract: entangling rates up to 39 Hz"),
            "memory_time_s": (0.2, "abstract: decoherence rate suppressed to 5 Hz, i.e. T_mem = 1/5 s"),
            "separation_m": (2.0, "abstract: nodes separated by 2 metres (a lab link, not deployed fibre)"),
        },
        assumed={
            "fidelity": (0.70, "assumed; the abstract states delivered fidelity > 0.5 per 100 ms cycle"),
            "capacity": (1, "one memory qubit pair per link"),
        },
    ),
    "streaming": LinkSource(
        citation=(
            "S. P. Neumann, A. Buchner, L. Bulla, M. Bohmann, R. Ursin, 'Continuous entanglement distribution "
            "over a transnational 248 km fiber link', Nature Communications 13, 6134 (2022), "
            "doi:10.1038/s41467-022-33919-0 (arXiv:2203.12417)"
        ),
        from_paper={
            "coincidence_rate_per_s": (9.0, "abstract: stable detected pair rates of 9 per second over 110 h"),
            "visibility": (0.86, "abstract: entangled-state visibility kept at 86% for 82 h"),
            "loss_db": (79.0, "abstract: 79 dB loss over 248 km of deployed fibre"),
        },
        assumed={
            "loss_split": ("equal", "the 79 dB are split equally between the two arms: eta_A = eta_B = 10^(-79/20)"),
            "emission_rate": ("9 / (eta_A eta_B)", "chosen so that the detected pair rate is the paper's 9 per second"),
        },
    ),
}


def _time_unit(time_unit: float) -> float:
    tu = float(time_unit)
    if not (tu > 0 and math.isfinite(tu)):
        raise EntanglementError(f"time_unit: must be a finite number of seconds > 0, got {time_unit!r}")
    return tu


def ideal(visibility: float = 1.0) -> IdealSource:
    """Unlimited perfect pairs: no waiting, no fallback, unlimited decisions per second.

    The reference link against which the memory and streaming presets are compared.

    Parameters
    ----------
    visibility : float in [0, 1]
        Werner visibility of every pair (1: noiseless :math:`|\\Phi^+\\rangle`).

    Returns
    -------
    IdealSource
    """
    return IdealSource(visibility=visibility)


def memory_preset(
    time_unit: float = 1.0,
    *,
    variant: str = "memory",
    fidelity: float | None = None,
    pair_rate_per_s: float | None = None,
    capacity: int | None = None,
    cutoff_s: float | None = None,
    consume: str = "freshest",
    when_full: str = "evict_oldest",
    fallback: Any = "local",
) -> EntanglementPool:
    """A memory-based link (heralded pairs stored in quantum memories).

    ``variant="memory"`` (default): Knaut et al., *Nature* 629, 573 (2024) -- two SiV nanophotonic
    nodes entangled through a 35 km deployed fibre loop in Boston, with second-long storage in
    nuclear-spin memories. Taken from the paper (abstract): deployed fibre, memory time ~1 s. Assumed:
    pair rate 1 per second, fidelity 0.70 (visibility 0.6), capacity 1.

    ``variant="memory_lab"``: Humphreys et al., *Nature* 558, 268 (2018) -- NV nodes 2 m apart.
    Taken from the paper (abstract): 39 entangled pairs per second, decoherence rate 5 Hz
    (``T_mem = 0.2 s``). Assumed: fidelity 0.70, capacity 1.

    Decisions per second: at most the pair rate (1 or 39); every further request falls back. The
    assumed fidelity gives v = 0.6 < 1/sqrt(2): no CHSH-type advantage survives; override ``fidelity``
    to explore what a better link would need. Full provenance: ``SOURCES[variant]``.

    Parameters
    ----------
    time_unit : float
        Seconds per simulator time unit.
    fidelity, pair_rate_per_s, capacity, cutoff_s :
        Override the preset's figures.
    consume, when_full, fallback :
        Passed to :class:`EntanglementPool`. The default ``when_full="evict_oldest"`` keeps
        generating while the memory is full and replaces the stalest pair, as a link that refreshes
        its memory does; ``"drop_new"`` keeps the first stored pair until it is used, however old.

    Returns
    -------
    EntanglementPool
        Rates converted to simulator units: ``rate = pair_rate_per_s * time_unit``,
        ``memory_time = memory_time_s / time_unit``, visibility :math:`v = (4F - 1)/3`.
    """
    tu = _time_unit(time_unit)
    if variant not in ("memory", "memory_lab"):
        raise EntanglementError(f"variant: must be 'memory' or 'memory_lab', got {variant!r}")
    src = SOURCES[variant]
    figs = {k: v[0] for k, v in {**src.from_paper, **src.assumed}.items()}
    F = figs["fidelity"] if fidelity is None else fidelity
    rate = figs["pair_rate_per_s"] if pair_rate_per_s is None else pair_rate_per_s
    return EntanglementPool(
        rate=float(rate) * tu,
        capacity=int(figs["capacity"] if capacity is None else capacity),
        visibility=float(visibility_from_fidelity(F)),
        memory_time=float(figs["memory_time_s"]) / tu,
        cutoff=None if cutoff_s is None else float(cutoff_s) / tu,
        consume=consume,
        when_full=when_full,
        fallback=fallback,
        name=variant,
    )


def streaming_preset(
    time_unit: float = 1.0,
    *,
    coincidence_rate_per_s: float | None = None,
    visibility: float | None = None,
    tag_latency_s: float = 0.0,
) -> StreamingSource:
    """A streaming polarisation-entangled photon-pair link without memory.

    Neumann et al., *Nature Communications* 13, 6134 (2022): a continuously running link between
    Vienna and Bratislava over 248 km of deployed fibre. Taken from the paper (abstract): detected pair
    (coincidence) rate 9 per second, visibility 0.86, total loss 79 dB. Assumed: the loss is split
    equally between the arms (``eta_A = eta_B = 10^(-79/20)``), and the emission rate is
    ``9 / (eta_A eta_B)`` per second so that the detected rate is the paper's.

    Decisions per second: at most 9 (the coincidence rate); an isolated decision waits 1/9 s = 111 ms on
    average (exponentially distributed); at a decision rate L per second the mean wait is
    ``1 / (9 - L)`` seconds (M/M/1 sojourn), unbounded as L -> 9. Visibility 0.86 corresponds to
    fidelity 0.895 and CHSH value 2.43. Full provenance: ``SOURCES["streaming"]``.

    ``tag_latency_s`` (default 0) charges the classical time-tag exchange that identifies which
    pairs were detected on both sides; without it the two servers would share a pair only with
    probability ~5.6e-5 (see :attr:`StreamingSource.local_match_probability`).

    Parameters
    ----------
    time_unit : float > 0
        Seconds per simulator time unit.
    coincidence_rate_per_s : float, optional
        Override the detected pair rate :math:`r\\eta_A\\eta_B` (per second; paper: 9).
    visibility : float in [0, 1], optional
        Override the pair visibility (paper: 0.86).
    tag_latency_s : float >= 0
        Classical time-tag exchange latency added to every decision (seconds).

    Returns
    -------
    StreamingSource
        Emission rate :math:`r = r_c / (\\eta_A \\eta_B)` per time unit with
        :math:`\\eta_A = \\eta_B = 10^{-79/20}`.
    """
    tu = _time_unit(time_unit)
    src = SOURCES["streaming"]
    rc = src.from_paper["coincidence_rate_per_s"][0] if coincidence_rate_per_s is None else float(coincidence_rate_per_s)
    v = src.from_paper["visibility"][0] if visibility is None else visibility
    eta = 10.0 ** (-src.from_paper["loss_db"][0] / 20.0)
    return StreamingSource(
        rate=rc / (eta * eta) * tu, eta_a=eta, eta_b=eta, visibility=v, tag_latency=float(tag_latency_s) / tu, name="streaming"
    )


def summary(link: Any, time_unit: float = 1.0) -> dict[str, float]:
    """Decisions per second, mean added latency (s) and quality figures implied by a link object."""
    tu = _time_unit(time_unit)
    out: dict[str, float] = {"decisions_per_second": float(link.supply_rate) / tu}
    v = float(link.visibility)
    out.update(visibility=v, fidelity=float(fidelity_from_visibility(v)), chsh=2 * math.sqrt(2) * v)
    if isinstance(link, StreamingSource):
        out["mean_latency_s"] = link.mean_latency * tu
    elif isinstance(link, EntanglementPool):
        out["memory_time_s"] = link.memory_time * tu
    return out


__all__.append("summary")
