"""The gain column of the report tables: relative percent, reference rows, rows beyond the frontier."""

from __future__ import annotations

from qcoord.analysis.report import frontier_note, gain_cell


def _row(cls: str, **kw):
    base = {"class": cls, "reference": False, "gain_equal_waiting": 0.01, "gain_ci_low": 0.005, "gain_ci_high": 0.015,
            "gain_relative": 0.0036, "gain_relative_ci_low": 0.0028, "gain_relative_ci_high": 0.0044,
            "beyond_frontier": False, "throughput": 1.5, "frontier_waiting_high": 0.5, "frontier_top_policy": "ref:x",
            "frontier_top_waiting": 0.5, "frontier_top_throughput": 1.6}
    base.update(kw)
    return base


def test_gain_cell_is_relative_percent_with_ci():
    assert gain_cell(_row("entangled")) == "+0.36% [+0.28%, +0.44%]"
    assert gain_cell(_row("naive", gain_relative=-0.9995, gain_relative_ci_low=-0.9996, gain_relative_ci_high=-0.9994,
                          beyond_frontier=True)) == "-99.95% [-99.96%, -99.94%] †"
    assert gain_cell(_row("x", gain_relative=float("nan"))).startswith("not comparable")


def test_reference_rows_say_reference_unless_dominated():
    assert gain_cell(_row("local", reference=True, gain_equal_waiting=0.0, gain_ci_low=0.0, gain_ci_high=0.0)) == "reference"
    cell = gain_cell(_row("shared", reference=True, gain_equal_waiting=-22.0, gain_relative=-0.2823,
                          gain_relative_ci_low=-0.2942, gain_relative_ci_high=-0.2705))
    assert cell == "reference, dominated: -28.23% [-29.42%, -27.05%]"


def test_frontier_note_explains_rows_beyond_the_frontier():
    rows = [_row("local", reference=True, throughput=48.0), _row("entangled")]
    assert frontier_note(rows) is None
    far = _row("naive", beyond_frontier=True, frontier_top_throughput=1.1e5, frontier_waiting_high=0.536)
    note = frontier_note(rows + [far])
    assert note is not None and note.startswith("† naive") and "0.536" in note and "ref:x" in note
    assert "never interrupts one server" in note and "2292 times" in note
    # an ordinary top point: no degenerate-T explanation
    assert "never interrupts" not in frontier_note(rows + [_row("naive", beyond_frontier=True)])


def test_rows_interpolated_towards_the_frontier_top_are_marked():
    row = _row("hold", against_frontier_top=True, beyond_frontier=False)
    assert gain_cell(row).endswith(" †")
    note = frontier_note([_row("local", reference=True), row])
    assert note is not None and "interpolated towards it" in note and "beyond" not in note
    assert not gain_cell(_row("oracle", against_frontier_top=False, beyond_frontier=False)).endswith("†")
