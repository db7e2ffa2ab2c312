"""The HTTP API (FastAPI): ``create_app(settings)`` (``app``) builds it.

- ``routers/``: one router per resource; no Cypher and no access rules in them
  (they ask ``domain.policy``).
- ``auth`` (who is calling: API keys, learner tokens) and ``deps`` (the
  dependencies routers share, ``PrincipalDep``, ``permit(action)``);
  ``learner_deps``, ``openbadges_deps``.
- ``catalogue`` and ``authoring``: catalogue and recommended-pathway operations
  for the API (validation, references), writing through ``domain``;
  ``learner_awards``: what the learner-facing routes share.
- Schemas: ``schemas``, ``assertion_schemas``, ``insights_schemas``, ``examples``.
- The edges: ``guard`` (limits every request meets), ``limits`` (rate limits,
  CORS), ``bodies`` (bodies within a size), ``problems`` (problem+json),
  ``docs`` (offline API docs), ``forked`` (several workers sharing one
  recommender); ``widget/`` and ``pages/`` hold the web component and pages.
"""
