"""Small-cell suppression: primary, complementary (lines) and chains."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from colearn.insights.privacy import (ALL, COMPLEMENTARY, PRIMARY, Cell, Line, grid, grid_lines, suppress,
                                      suppress_chain)


def _ids(prefix: str, n: int) -> frozenset[str]:
    return frozenset(f"{prefix}{i}" for i in range(n))


def test_primary_hides_one_to_k_minus_one_and_keeps_zero() -> None:
    cells = {"a": Cell(_ids("a", 4)), "b": Cell(_ids("b", 5)), "z": Cell(frozenset())}
    suppress(cells, [], 5)
    assert cells["a"].suppressed == PRIMARY and cells["b"].suppressed is None and cells["z"].suppressed is None
    assert cells["a"].publish() == {"learners": None, "suppressed": PRIMARY}
    assert cells["z"].publish()["learners"] == 0


def test_a_lone_hidden_cell_in_a_line_gets_a_partner() -> None:
    # total 30 = a(2) + b(12) + c(16): total - b - c would give a away
    cells = {"t": Cell(_ids("x", 30)), "a": Cell(_ids("x", 2)),
             "b": Cell(frozenset(f"x{i}" for i in range(2, 14))), "c": Cell(frozenset(f"x{i}" for i in range(14, 30)))}
    suppress(cells, [Line("t", ("a", "b", "c"))], 5)
    assert cells["a"].suppressed == PRIMARY
    assert cells["b"].suppressed == COMPLEMENTARY  # the smallest shown member
    assert cells["c"].suppressed is None and cells["t"].suppressed is None


def test_two_hidden_cells_with_fewer_than_k_learners_together_get_a_third() -> None:
    cells = {"t": Cell(_ids("x", 40)), "a": Cell(_ids("x", 1)),
             "b": Cell(frozenset(["x1", "x2"])), "c": Cell(frozenset(f"x{i}" for i in range(3, 20))),
             "d": Cell(frozenset(f"x{i}" for i in range(20, 40)))}
    suppress(cells, [Line("t", ("a", "b", "c", "d"))], 5)
    assert [cells[k].suppressed for k in "abcd"] == [PRIMARY, PRIMARY, COMPLEMENTARY, None]


def test_a_hidden_total_needs_no_protection_and_totals_are_never_hidden_to_protect() -> None:
    cells = {"t": Cell(_ids("x", 3)), "a": Cell(_ids("x", 3))}
    suppress(cells, [Line("t", ("a",))], 5)
    assert cells["t"].suppressed == PRIMARY and cells["a"].suppressed == PRIMARY
    cells = {"t": Cell(_ids("x", 9)), "a": Cell(_ids("x", 2)), "b": Cell(_ids("y", 7))}
    suppress(cells, [Line("t", ("a", "b"))], 5)
    assert cells["t"].suppressed is None and cells["b"].suppressed == COMPLEMENTARY


def test_chains_publish_only_differences_of_zero_or_at_least_k() -> None:
    sizes = [50, 48, 40, 40, 3, 0]
    stages = [Cell(_ids("x", n)) for n in sizes]
    suppress_chain(stages, 5)
    assert [s.suppressed for s in stages] == [None, COMPLEMENTARY, None, None, PRIMARY, None]
    shown = [n for n, s in zip(sizes, stages) if s.suppressed is None]
    assert all(a - b == 0 or a - b >= 5 for a in shown for b in shown if a >= b)


def test_grid_margins_are_unions() -> None:
    cells = grid({("r1", "c1"): frozenset("ab"), ("r1", "c2"): frozenset("bc"), ("r2", "c1"): frozenset("d")})
    assert cells[("r1", ALL)].learners == frozenset("abc")
    assert cells[(ALL, "c1")].learners == frozenset("abd")
    assert cells[(ALL, ALL)].learners == frozenset("abcd")


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.integers(0, 12), min_size=1, max_size=6), min_size=1, max_size=6),
       st.integers(2, 6))
def test_every_line_with_a_shown_total_hides_none_or_two_cells_covering_k(sizes: list[list[int]], k: int) -> None:
    """Property: after suppression, in every line whose total is shown, the hidden
    members are none, or at least two that together count at least k learners, or
    there is nothing shown left to hide."""
    width = max(len(r) for r in sizes)
    pairs = {}
    for i, row in enumerate(sizes):
        for j in range(width):
            n = row[j] if j < len(row) else 0
            if n:
                pairs[(i, j)] = frozenset(f"r{i}c{j}-{x}" for x in range(n))  # a partition of learners
    cells = grid(pairs)
    lines = grid_lines(range(len(sizes)), range(width))
    suppress(cells, lines, k)
    for line in lines:
        if line.total not in cells or cells[line.total].suppressed:
            continue
        members = [cells[m] for m in line.members if m in cells and cells[m].learners]
        hidden = [c for c in members if c.suppressed]
        shown = [c for c in members if not c.suppressed]
        if hidden and shown:
            assert len(hidden) >= 2
            assert len(frozenset().union(*(c.learners for c in hidden))) >= k
        # subtracting the shown cells from the total never lands on a single hidden cell
        rest = len(cells[line.total].learners) - sum(len(c.learners) for c in shown)
        assert not (len(hidden) == 1 and rest == len(hidden[0].learners) and shown)
    for cell in cells.values():
        n = len(cell.learners)
        assert (cell.suppressed == PRIMARY) == (0 < n < k)


def test_the_summary_counts_hidden_cells_at_any_depth_of_the_answer() -> None:
    from colearn.insights.privacy import summary, with_privacy
    answer = {"insight": "x", "params": {"a": None},
              "rows": [{"learners": None, "suppressed": PRIMARY}, {"learners": 9, "suppressed": None}],
              "groups": [{"stages": [{"learners": None, "suppressed": COMPLEMENTARY}],
                          "completed": {"learners": None, "suppressed": PRIMARY}}],
              "total": {"learners": 20, "suppressed": None}}
    block = summary(answer, 5)
    assert (block["suppressed_cells"], block["primary"], block["complementary"]) == (3, 2, 1)
    placed = with_privacy({**answer, "privacy": {"stale": True}}, 5)
    assert list(placed)[:3] == ["insight", "params", "privacy"] and placed["privacy"] == block
