"""Reproduce the N-server findings of docs/nserver.md (FANOUT_FULL, seed 20251; about 70 s on one core).

Run from the repository root: ``python scripts/nserver_findings.py``; reports go to nserver-findings/full<N><k>/.
"""
import time, sys, json
from qcoord.system.fanout import FanoutScenario
from qcoord.analysis.fanout import FANOUT_FULL, run_fanout_study, write_fanout_report
for (N, k, subset, rule) in [(3, 3, "all", "lowest_keeper"), (3, 2, "uniform", "lowest_keeper"), (4, 4, "all", "lowest_keeper"),
                             (4, 2, "uniform", "lowest_keeper"), (4, 3, "uniform", "lowest_keeper"),
                             (3, 3, "all", "next"), (4, 4, "all", "next")]:
    sc = FanoutScenario(n_servers=N, fanout=k, subset=subset, consolidation=rule, arrival_rate=0.1*N/k, discipline="fcfs",
                        baseline="setup(2)", seed=20251)
    t=time.time()
    st = run_fanout_study(sc, FANOUT_FULL)
    write_fanout_report(f"nserver-findings/full{N}{k}-{rule}", st)
    print(f"== N={N} k={k} {subset} {rule}: {time.time()-t:.0f}s", flush=True)
    for obj, lam in st.headline.items():
        if lam is not None:
            s = st.solutions[obj][lam]
            print(f"  {obj} lam={lam}: C {s.classical_value:.6f} Q {s.quantum_value:.6f} NPA {s.npa_value:.6f} NS {s.nonsignaling_value:.6f} v* {s.critical_visibility:.4f}")
        cert = all(s.certified_no_advantage() for s in st.solutions[obj].values())
        gap = max(r["gap"] for r in st.scan if r["objective"] == obj)
        print(f"  {obj}: all grid games certified zero: {cert}; max NS-C gap on scan {gap:.3e}")
    for cid, v in st.verdicts.items(): print("  ", v.status, cid, v.reason, flush=True)
