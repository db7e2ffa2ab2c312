"""API keys (``service/auth.py``): records of hashed secrets, their roles and origins.
"""

from __future__ import annotations

from colearn.graph.schema import Label


#: Create an API key record. Params: ``id``, ``hash`` (hex SHA-256 of the
#: secret), ``role``, ``organisation_id`` (or null), ``origins`` (list of str),
#: ``name``, ``created_on`` (epoch s). Fails with a uniqueness conflict on a reused id.
CREATE_API_KEY = (
    f"CREATE (k:{Label.API_KEY} {{id: $id, hash: $hash, role: $role, organisation_id: $organisation_id, "
    "origins: $origins, name: $name, created_on: $created_on}) RETURN k.id AS id"
)

_API_KEY_FIELDS = (
    "k.id AS id, k.hash AS hash, k.role AS role, k.organisation_id AS organisation_id, "
    "k.origins AS origins, k.name AS name, k.created_on AS created_on, k.revoked_on AS revoked_on"
)

#: One API key by id. Params: ``id``. Returns 0 or 1 row with the key's fields.
GET_API_KEY = f"MATCH (k:{Label.API_KEY} {{id: $id}}) RETURN {_API_KEY_FIELDS}"

#: Every API key, oldest first. Returns rows with the key's fields.
LIST_API_KEYS = f"MATCH (k:{Label.API_KEY}) RETURN {_API_KEY_FIELDS} ORDER BY created_on, id"

#: Revoke an API key (kept on record). Params: ``id``, ``revoked_on``.
#: Returns 0 rows for an unknown id, else ``{id, revoked_on}``.
REVOKE_API_KEY = (
    f"MATCH (k:{Label.API_KEY} {{id: $id}}) SET k.revoked_on = coalesce(k.revoked_on, $revoked_on) "
    "RETURN k.id AS id, k.revoked_on AS revoked_on"
)

#: The origins of every active partner key (CORS). Returns rows ``{origin}``.
PARTNER_ORIGINS = (
    f"MATCH (k:{Label.API_KEY} {{role: 'partner'}}) WHERE k.revoked_on IS NULL "
    "UNWIND k.origins AS origin RETURN DISTINCT origin"
)
