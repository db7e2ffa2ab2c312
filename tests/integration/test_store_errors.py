"""What ``GraphStore`` says it raises, checked on both engines with the same statements:
a value the engine rejects is ``InvalidInput`` (HTTP 422), a statement the engine
rejects for its own text is a plain ``ColearnError`` (HTTP 500), and neither error
repeats the statement or its values."""

from __future__ import annotations

import pytest

from colearn.errors import ColearnError, InvalidInput
from colearn.graph.store import GraphStore

#: Statements that are valid Cypher, run with a value they cannot take.
REJECTED_VALUES = [
    ("RETURN 1 / $x AS v", {"x": 0}),                       # a division by zero
    ("RETURN range(0, 5, $x) AS v", {"x": 0}),              # a bad argument
    ("RETURN $x[0] AS v", {"x": 5}),                         # a wrong type (Neo4j: seen when planning)
    ("UNWIND $rows AS r RETURN r.x[0] AS v", {"rows": [{"x": 5}]}),  # a wrong type (seen when running)
    ("CREATE (n:Learner {id: 'l1', name: $x})", {"x": {"first": "Ada"}}),  # a map as a property
]


@pytest.mark.parametrize("query, params", REJECTED_VALUES)
def test_a_rejected_value_is_invalid_input(store: GraphStore, query: str, params: dict) -> None:
    write = query.startswith("CREATE")
    with pytest.raises(InvalidInput) as caught:
        (store.write if write else store.read)(query, params)
    assert caught.value.status == 422
    assert query not in str(caught.value) and "Ada" not in str(caught.value)
    assert store.read("MATCH (n:Learner) RETURN count(n) AS n") == [{"n": 0}]


@pytest.mark.parametrize("query", ["RETUR 1", "RETURN nosuchfunction(1) AS v"])
def test_a_rejected_statement_is_a_plain_error(store: GraphStore, query: str) -> None:
    with pytest.raises(ColearnError) as caught:
        store.read(query)
    assert not isinstance(caught.value, InvalidInput) and caught.value.status == 500
    assert query not in str(caught.value)
