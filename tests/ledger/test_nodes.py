"""Node numbering, range decomposition and proof plans."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.ledger.nodes import (
    ProofPlan,
    consistency_plan,
    inclusion_plan,
    node_id,
    node_position,
    range_nodes,
    root_plan,
)


def leaf_span(node: int) -> tuple[int, int]:
    level, index = node_position(node)
    return index << level, (index + 1) << level


@pytest.mark.parametrize(
    ("level", "index", "expected"),
    [
        (0, 0, 0),
        (0, 1, 2),
        (0, 5, 10),
        (1, 0, 1),
        (1, 1, 5),
        (1, 3, 13),
        (2, 0, 3),
        (2, 1, 11),
        (3, 0, 7),
        (3, 1, 23),
        (10, 0, 1023),
    ],
)
def test_node_id_examples(level: int, index: int, expected: int) -> None:
    assert node_id(level, index) == expected
    assert node_position(expected) == (level, index)


def test_every_small_id_round_trips_and_ids_are_in_order() -> None:
    seen = [node_position(node) for node in range(4096)]
    assert all(node_id(*position) == node for node, position in enumerate(seen))
    # In-order numbering: a parent sits between its two children.
    for node in range(4096):
        level, index = node_position(node)
        if level:
            left, right = node_id(level - 1, 2 * index), node_id(level - 1, 2 * index + 1)
            assert left < node < right


@given(st.integers(0, 62), st.integers(0, 2**40))
def test_round_trip_large(level: int, index: int) -> None:
    assert node_position(node_id(level, index)) == (level, index)


@pytest.mark.parametrize(("level", "index"), [(-1, 0), (0, -1)])
def test_node_id_refuses_negatives(level: int, index: int) -> None:
    with pytest.raises(ValueError, match="node_id"):
        node_id(level, index)


def test_node_position_refuses_negatives() -> None:
    with pytest.raises(ValueError, match="node ids"):
        node_position(-1)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (0, 0, ()),
        (5, 5, ()),
        (0, 1, (0,)),
        (0, 8, (7,)),
        (0, 7, (3, 9, 12)),
        (4, 7, (9, 12)),
        (6, 8, (13,)),
        (2, 5, (5, 8)),
        (0, 13, (7, 19, 24)),
        (8, 13, (19, 24)),
    ],
)
def test_range_nodes_examples(start: int, end: int, expected: tuple[int, ...]) -> None:
    assert range_nodes(start, end) == expected


@pytest.mark.parametrize(("start", "end"), [(3, 2), (-1, 0), (1, 3), (2, 6), (4, 12), (6, 10)])
def test_range_nodes_refuses_ranges_it_cannot_partition(start: int, end: int) -> None:
    with pytest.raises(ValueError, match=r"range_nodes|boundary"):
        range_nodes(start, end)


@given(st.integers(0, 2**20), st.integers(1, 2**20))
def test_range_nodes_partition(start: int, length: int) -> None:
    end = start + length
    aligned = start % (1 << (length.bit_length() - 1)) == 0
    if not aligned:
        with pytest.raises(ValueError, match="boundary"):
            range_nodes(start, end)
        return
    nodes = range_nodes(start, end)
    spans = [leaf_span(node) for node in nodes]
    # Contiguous, covering exactly [start, end), strictly shrinking: the MTH split order.
    assert spans[0][0] == start
    assert spans[-1][1] == end
    assert all(a[1] == b[0] for a, b in itertools.pairwise(spans))
    sizes = [b - a for a, b in spans]
    assert sizes == sorted(sizes, reverse=True)
    assert len(set(sizes)) == len(sizes)


def test_plans_match_the_rfc_examples() -> None:
    # The reference tree's proofs (reference_tree.json), as node ids.
    assert inclusion_plan(0, 8).elements == ((2,), (5,), (11,))
    assert inclusion_plan(5, 8).elements == ((8,), (13,), (3,))
    assert inclusion_plan(2, 3).elements == ((1,),)
    assert inclusion_plan(1, 5).elements == ((0,), (5,), (8,))
    assert inclusion_plan(0, 1).elements == ()
    assert consistency_plan(1, 1).elements == ()
    assert consistency_plan(1, 8).elements == ((2,), (5,), (11,))
    assert consistency_plan(6, 8).elements == ((9,), (13,), (3,))
    assert consistency_plan(2, 5).elements == ((5,), (8,))
    assert consistency_plan(6, 7).elements == ((9,), (12,), (3,))


def test_plans_with_right_edge_subtrees() -> None:
    # [4, 7) is not a perfect subtree: it is rebuilt from [4, 6) and leaf 6.
    assert inclusion_plan(0, 7).elements == ((2,), (5,), (9, 12))
    assert consistency_plan(3, 7).elements == ((4,), (6,), (1,), (9, 12))
    assert consistency_plan(3, 7).node_ids == frozenset({4, 6, 1, 9, 12})
    assert ProofPlan(()).node_ids == frozenset()


def test_root_plan() -> None:
    assert root_plan(0) == ()
    assert root_plan(1) == (0,)
    assert root_plan(6) == (3, 9)
    assert root_plan(2**40) == (node_id(40, 0),)


@pytest.mark.parametrize(("index", "size"), [(0, 0), (-1, 5), (5, 5), (6, 5)])
def test_inclusion_plan_refuses(index: int, size: int) -> None:
    with pytest.raises(ValueError, match="0 <= index < size"):
        inclusion_plan(index, size)


@pytest.mark.parametrize(("first", "second"), [(0, 0), (0, 5), (-1, 3), (6, 5), (2, 1)])
def test_consistency_plan_refuses(first: int, second: int) -> None:
    with pytest.raises(ValueError, match="0 < first <= second"):
        consistency_plan(first, second)


def test_root_plan_refuses_negative_size() -> None:
    with pytest.raises(ValueError, match="range_nodes"):
        root_plan(-1)


def bound(size: int) -> int:
    # 2·ceil(log2 n): at most one id per level for the path, plus one right-edge subtree.
    return 2 * (size - 1).bit_length()


def plan_size(plan: ProofPlan) -> int:
    return sum(len(element) for element in plan.elements)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_plans_are_logarithmic(data: st.DataObject) -> None:
    size = data.draw(st.integers(1, 2**48) | st.integers(1, 300))
    index = data.draw(st.integers(0, size - 1))
    first = data.draw(st.integers(1, size))
    inclusion, consistency = inclusion_plan(index, size), consistency_plan(first, size)
    assert len(inclusion.node_ids) == plan_size(inclusion) <= bound(size)
    assert len(consistency.node_ids) == plan_size(consistency) <= bound(size)
    assert len(root_plan(size)) == size.bit_count()


def test_plans_are_logarithmic_exhaustively_for_small_trees() -> None:
    for size in range(1, 130):
        for point in range(size):
            assert plan_size(inclusion_plan(point, size)) <= bound(size)
            assert plan_size(consistency_plan(point + 1, size)) <= bound(size)
