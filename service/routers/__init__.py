"""One router per resource. A router reads the request, asks ``domain.policy`` whether
the caller may (through ``service.deps`` or ``policy.require``), calls one operation
and shapes the answer: no Cypher and no access rule of its own."""
