"""Parameters sent in colearn's own CYPHER header (``params_header``) arrive exactly: any JSON value
round-trips unchanged (a hypothesis property test), and what the store cannot keep is refused."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from colearn.errors import InvalidInput
from colearn.graph.falkordb_store import FalkorDBStore, params_header

pytestmark = pytest.mark.falkordb_only  # tests the embedded FalkorDB itself

TRICKY = ['plain', '', 'a "quoted" word', 'back\\slash', 'ends with \\', '\\"', 'line\nbreak\ttab',
          'é, ü and 🙂', "it's", '{"json": 1}', ',"k":', '`tick`', 'x' * 3000]


@pytest.mark.parametrize("value", TRICKY)
def test_strings_round_trip(store: FalkorDBStore, value: str) -> None:
    rows = store.write("CREATE (n:Probe {id: $id, text: $text}) RETURN n.text AS text",
                       {"id": "p", "text": value})
    assert rows == [{"text": value}]
    assert store.read("MATCH (n:Probe {id: $id}) RETURN n.text AS text", {"id": "p"}) == [{"text": value}]


def test_nested_rows_round_trip(store: FalkorDBStore) -> None:
    rows = [{"id": f"n{i}", "props": {"s": TRICKY[i % len(TRICKY)], "i": i, "f": i / 4, "b": i % 2 == 0,
                                      "none": None, "list": [1, "two", 3.5], "odd-key": i}}
            for i in range(40)]
    store.write("UNWIND $rows AS r CREATE (n:Probe {id: r.id}) SET n += r.props", {"rows": rows})
    got = store.read("MATCH (n:Probe) RETURN n.id AS id, n.s AS s, n.i AS i, n.f AS f, n.b AS b, "
                     "n.list AS list, n.`odd-key` AS odd ORDER BY n.i")
    assert got == [{"id": r["id"], "s": r["props"]["s"], "i": r["props"]["i"], "f": r["props"]["f"],
                    "b": r["props"]["b"], "list": r["props"]["list"], "odd": r["props"]["odd-key"]}
                   for r in rows]


def test_header_is_exact_or_refuses() -> None:
    # a key pattern that once matched across two list items and wrote one string
    assert params_header({"l": ["a,", ":b"]}) == 'CYPHER `l`=["a,",":b"] '
    assert params_header({"s": "line\nbreak"}) == 'CYPHER `s`="line\\nbreak" '
    assert params_header({"s": "line\nbreak\x01"}) == 'CYPHER `s`="line\nbreak\x01" '
    assert params_header({"s": "back\\nslash"}) == 'CYPHER `s`="back\\\\nslash" '
    assert params_header({"rows": [{"id": "a", "t": ["x", "y"]}]}) == 'CYPHER `rows`=[{`id`:"a",`t`:["x","y"]}] '
    assert params_header({"o": object()}) is None  # not JSON: the client writes it
    for bad in ({"s": "a\x00b"}, {"m": {"a`b": 1}}, {"m": {"a\x00": 1}}, {"i": [2**63]}, {"i": -(2**63) - 1},
                {"f": float("nan")}, {"f": float("inf")}, {"s": "\ud800"}):
        with pytest.raises(InvalidInput):
            params_header(bad)


def test_header_keys_every_map_whatever_the_first_row_holds() -> None:
    # keys only later rows hold, keys that begin like JSON punctuation, text that begins with ':'
    assert params_header({"rows": [{"a": 1}, {"b": {"c": [{"d": 2}]}}]}) == \
        'CYPHER `rows`=[{`a`:1},{`b`:{`c`:[{`d`:2}]}}] '
    assert params_header({"m": {":k": ":v", ",": "}", "]x": 1}}) == 'CYPHER `m`={`:k`:":v",`,`:"}",`]x`:1} '
    assert params_header({"rows": [{"id": ":", "id2": 3}, {"x": "id2"}]}) == \
        'CYPHER `rows`=[{`id`:":",`id2`:3},{`x`:"id2"}] '
    assert params_header({"i": [1, 2**62, {"big": 10**18}]}) == 'CYPHER `i`=[1,4611686018427387904,{`big`:1000000000000000000}] '
    with pytest.raises(InvalidInput):
        params_header({"rows": [{"a": 1}, {"b": [2**64]}]})


def _floats_the_store_prints_exactly() -> st.SearchStrategy[float]:
    """FalkorDB keeps a float exactly but prints it with 15 significant digits (%.15g),
    so a read-back can only be exact for floats that 15 digits name."""
    return st.floats(allow_nan=False, allow_infinity=False).map(lambda f: float(f"{f:.15g}")).filter(math.isfinite)


_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | _floats_the_store_prints_exactly() | _TEXT,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(
        st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="`\x00"), max_size=8),
        inner, max_size=5),
    max_leaves=20)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=JSON_VALUES)
def test_any_json_value_round_trips(store: FalkorDBStore, value) -> None:
    """Any JSON value the store can hold comes back unchanged, through a write and
    through a read (the read path's own compact decoder too)."""
    assert store.write("RETURN $v AS v", {"v": value}) == [{"v": value}]
    assert store.read("RETURN $v AS v", {"v": value}) == [{"v": value}]

