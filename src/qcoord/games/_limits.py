"""Limits shared by the solvers and the CLI (a module with no heavy imports, so the CLI starts fast)."""

#: Default refusal threshold of :func:`qcoord.games.npa_upper_bound`: a moment matrix of side 1000 has
#: ~5e5 entries; SCS needs minutes and gigabytes there on the project's 2-core machines.
MAX_MATRIX_SIZE = 1000
