"""Settings, read from the environment (prefix ``COLEARN_``) once and cached.

Neo4j is chosen when ``NEO4J_URI`` is set (``NEO4J_USER``, ``NEO4J_PASSWORD``,
``NEO4J_DATABASE`` go with it); otherwise the embedded FalkorDB runs with its
data under ``COLEARN_DATA_DIR`` (default ``./.colearn``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from colearn import served


#: k of k-anonymity: the fewest learners a number shown to the public may count. Insights'
#: default (``insights_min_learners``) and the floor under which a recommendation's reasons
#: say "fewer than 5 learners" (``recommender.signals.learners``), since reasons reach
#: anonymous callers and partner sites.
MIN_LEARNERS_SHOWN = 5


class Settings(BaseSettings):
    """All of colearn's configuration.

    Attributes:
        data_dir: where the embedded store keeps its files (AOF, RDB) and where
            issuer keys live.
        graph_name: the graph (FalkorDB key) or database (Neo4j) to use.
        base_url: the public base URL that hosted Open Badges documents use:
            ``COLEARN_BASE_URL``; unset, the address a running ``colearn serve`` of
            this ``data_dir`` serves (``served.address``), or ``http://127.0.0.1:8000``.
        spine_framework: the name of the city's spine, used as OB
            ``targetFramework``.
        host, port, workers: where ``colearn serve`` listens and with how many worker
            processes (its ``--host``, ``--port`` and ``--workers`` override them).
        neo4j_uri: when set, the Neo4j backend is used instead of FalkorDB.
        token_secret: the learner-token signing secret.
        anonymous_role: the role given to requests without credentials.
    """

    model_config = SettingsConfigDict(env_prefix="COLEARN_", extra="ignore")

    data_dir: Path = Path(".colearn")
    graph_name: str = "colearn"
    base_url: str = "http://127.0.0.1:8000"
    spine_framework: str = "Cities of Learning spine"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    #: ``colearn serve`` worker processes (forked after one recommender build).
    workers: int = Field(default=1, ge=1)
    #: HS256 secret for learner tokens; default: generated into ``data_dir/token-secret``.
    token_secret: SecretStr | None = None
    #: The role of a request without credentials: None (401, the default) or
    #: ``partner`` (public catalogue and recommendations; ``make run`` sets it
    #: so that the demo answers plain curl requests).
    anonymous_role: Literal["partner"] | None = None
    #: Whether partner keys (and the anonymous role) may read the recommendations of a learner
    #: who has not chosen (``PATCH /me`` ``partner_access``): true lets them until the learner
    #: says no (opt-out); false only once the learner says yes (opt-in, consent first).
    partner_access_default: bool = True
    #: Insights hide every cell counting fewer learners than this (k).
    insights_min_learners: int = Field(default=MIN_LEARNERS_SHOWN, ge=1)
    #: How long insights reuse what they read from the graph, in seconds (0: never).
    insights_cache_seconds: float = Field(default=60, ge=0)
    #: How long "what next" reuses the opportunities that award a badge, in seconds
    #: (0: read them every time); a change made through this process shows at once.
    #: While the feed is followed, raised to ``service.app.FOLLOWED_CATALOGUE_SECONDS``
    #: (``service.app.catalogue_cache_ttl``): the feed names every catalogue change.
    catalogue_cache_seconds: float = Field(default=30, ge=0)
    #: How long an API key, once read, is trusted without reading it again, in
    #: seconds (0: every request); a revoked key stops working within this.
    key_cache_seconds: float = Field(default=5, ge=0)
    #: How often a serving process polls the graph's change feed, in seconds
    #: (0: it does not follow the feed, and keeps the picture built at start).
    feed_poll_seconds: float = Field(default=0.2, ge=0, le=0.5)
    #: When the embedded store's append-only file reaches the disk: ``always``
    #: (before a write is acknowledged; survives a machine crash) or
    #: ``everysec`` (a machine crash can lose about the last second).
    fsync: Literal["always", "everysec"] = "always"
    #: How long the API waits for the store on one call before answering 503, in
    #: seconds (a frozen store otherwise hangs every request; on Neo4j, the longest
    #: silence between records, and the longest a connection may take to open).
    store_timeout_seconds: float = Field(default=5, gt=0)
    #: Requests a minute per caller (an organisation or admin key, a learner, an anonymous
    #: address, or a partner key's visitor: the key from one client address); 0: no limit
    #: (the partner keys' ceiling below included).
    rate_limit_per_minute: int = Field(default=600, ge=0)
    #: The most requests a caller may send at once before the per-minute rate applies.
    rate_limit_burst: int = Field(default=120, ge=1)
    #: Requests a minute per partner key, all its visitors together: the ceiling that keeps one
    #: public key (and whoever replays it from many addresses) from taking the whole server;
    #: 0: no ceiling.
    partner_key_rate_limit_per_minute: int = Field(default=6000, ge=0)
    #: The most requests at once per partner key, all its visitors together.
    partner_key_rate_limit_burst: int = Field(default=1200, ge=1)
    #: Failed authentications (a wrong, revoked or expired key or token) a minute per client
    #: address, in bursts of as many; past it, that address's requests with credentials get
    #: 429 before any is checked. 0: no limit.
    auth_failures_per_minute: int = Field(default=30, ge=0)

    #: SMTP server for learners' messages (award notices with claim links, sign-in
    #: links); unset: messages are written as ``.eml`` files to ``mail_outbox``.
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    #: ``starttls`` (port 587), ``tls`` (implicit, port 465) or ``none`` (a local relay).
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    #: The From address of learners' messages.
    mail_from: str = "colearn <no-reply@colearn.invalid>"
    #: Where messages go without SMTP; default ``<data_dir>/outbox``.
    mail_outbox: Path | None = None
    #: How long a claim link in an award notice works, in days.
    claim_link_days: int = Field(default=30, ge=1, le=365)
    #: How long a sign-in link works, in minutes.
    signin_link_minutes: int = Field(default=15, ge=1, le=1440)
    #: How long a learner token from sign-in works, in minutes (then refresh).
    learner_token_minutes: int = Field(default=15, ge=1, le=1440)
    #: How long a refresh token works, in days (each is used once, then replaced).
    refresh_token_days: int = Field(default=30, ge=1, le=365)
    #: Sign-in links sent per email address an hour; claim codes tried per learner a minute.
    signin_emails_per_hour: int = Field(default=5, ge=1)
    #: Sign-in links asked for per client address an hour (a classroom behind one address;
    #: up to a fifth of them at once).
    signin_emails_per_client_hour: int = Field(default=300, ge=1)
    claim_code_tries_per_minute: int = Field(default=10, ge=1)
    #: Award notices mailed per recipient address an hour (from every organisation together);
    #: beyond it an award is still made, its notice held (the answer says so).
    award_notices_per_address_hour: int = Field(default=5, ge=1)
    #: Award notices one organisation may have mailed a day (as above beyond it).
    award_notices_per_organisation_day: int = Field(default=2000, ge=1)

    neo4j_uri: str | None = Field(
        default=None, validation_alias=AliasChoices("NEO4J_URI", "COLEARN_NEO4J_URI")
    )
    neo4j_user: str = Field(
        default="neo4j", validation_alias=AliasChoices("NEO4J_USER", "COLEARN_NEO4J_USER")
    )
    neo4j_password: SecretStr = Field(
        default=SecretStr("neo4j"),
        validation_alias=AliasChoices("NEO4J_PASSWORD", "COLEARN_NEO4J_PASSWORD"),
    )
    neo4j_database: str = Field(
        default="neo4j",
        validation_alias=AliasChoices("NEO4J_DATABASE", "COLEARN_NEO4J_DATABASE"),
    )

    @field_validator("data_dir")
    @classmethod
    def _a_folder(cls, value: Path) -> Path:
        """``data_dir`` is a folder, or can be made one (what stands nearest to it is a folder).

        Raises:
            ValueError: it, or what stands in place of one of its folders, is a file.
        """
        path = value.expanduser()
        if path.exists() and not path.is_dir():
            raise ValueError(f"must be a folder, and {path} is a file")
        standing = next((p for p in path.absolute().parents if p.exists()), None)
        if standing is not None and not standing.is_dir():
            raise ValueError(f"must be a folder, and {standing} (where it would be made) is a file")
        return value

    @model_validator(mode="after")
    def _served_base_url(self) -> "Settings":
        """``base_url`` not given: the one a running ``colearn serve`` of this data directory
        recorded, if any (``served.address``: never a stopped server's)."""
        if "base_url" not in self.model_fields_set:
            url = served.address(self.data_dir)
            if url is not None:
                self.__dict__["base_url"] = url  # a default, so not in model_fields_set
        return self


def env_var(field: str) -> str:
    """The environment variable that sets ``Settings.<field>``: ``COLEARN_<FIELD>``, or the
    first name a field read under other names takes (``NEO4J_URI``)."""
    info = Settings.model_fields.get(field)
    alias = info.validation_alias if info is not None else None
    if isinstance(alias, AliasChoices) and alias.choices:
        return str(alias.choices[0])
    return f"COLEARN_{field.upper()}"


def settings_problems(exc: ValidationError) -> list[str]:
    """One line per bad value ``exc`` (a ``ValidationError`` of ``Settings``) found: the
    environment variable, the value it had and what is allowed, e.g.
    ``COLEARN_PORT='abc': must be a valid integer, unable to parse string as an integer``.
    A problem of no single setting is given as pydantic words it."""
    lines = []
    for problem in exc.errors(include_url=False):
        text = problem["msg"].removeprefix("Value error, ")
        if text.startswith("Input should"):
            text = "must" + text[len("Input should"):]
        if problem["loc"]:
            lines.append(f"{env_var(str(problem['loc'][0]))}={problem.get('input')!r}: {text}")
        else:
            lines.append(text)
    return lines


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read from the environment on first call.

    Tests override it with ``get_settings.cache_clear()`` or by passing a
    ``Settings`` to ``create_app`` directly.
    """
    return Settings()
