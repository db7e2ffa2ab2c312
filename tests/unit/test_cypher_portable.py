"""Every statement of graph/queries/ avoids what Neo4j 5 and FalkorDB read differently:
a variable named after a Cypher keyword (Neo4j parses ``size(all)`` as ``size(ALL)``:
"Insufficient parameters for function 'size'"), and ``CALL { WITH ... }`` subqueries
(deprecated in Neo4j 5; FalkorDB has no ``CALL (x) { ... }``). The contract suite runs
each statement on both engines; this check names the fault for any statement at once."""

from __future__ import annotations

import inspect
import re

from colearn.graph.schema import Label
from tests.graph_checks import public_statements

KEYWORDS = ("all", "any", "none", "single", "exists", "count", "case", "end", "order", "limit", "skip")


def _statements() -> dict[str, str]:
    out = {}
    for name, value in public_statements().items():
        if isinstance(value, str):
            out[name] = value
        else:
            params = inspect.signature(value).parameters
            if list(params) == ["label"]:
                for label in Label:
                    try:
                        out[f"{name}({label})"] = value(label)
                    except (KeyError, ValueError):
                        pass
    return out


def test_no_keyword_is_a_variable_and_no_call_with() -> None:
    bad = []
    for name, text in _statements().items():
        for kw in KEYWORDS:
            if re.search(rf"\bAS\s+{kw}\b", text, re.IGNORECASE):
                bad.append(f"{name}: a variable named '{kw}'")
        if re.search(r"CALL\s*\{\s*WITH\b", text, re.IGNORECASE):
            bad.append(f"{name}: CALL {{ WITH ... }}")
    assert not bad, "\n".join(bad)
