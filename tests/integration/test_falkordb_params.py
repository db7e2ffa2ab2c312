"""Parameters sent in colearn's own CYPHER header (``params_header``) arrive exactly as the client would send them."""

from __future__ import annotations

import pytest

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


def test_header_falls_back_where_json_differs() -> None:
    assert params_header({"s": "line\nbreak"}) is None  # the client sends control characters raw
    assert params_header({"f": float("nan")}) is None
    assert params_header({"o": object()}) is None
    assert params_header({"s": "back\\nslash"}) == 'CYPHER `s`="back\\\\nslash" '
    assert params_header({"rows": [{"id": "a", "t": ["x", "y"]}]}) == 'CYPHER `rows`=[{`id`:"a",`t`:["x","y"]}] '
