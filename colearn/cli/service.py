"""``colearn serve`` and ``colearn keys ...`` (create, list, revoke,
learner-token): the HTTP API (``service.forked``) and its credentials
(``service.auth``)."""

from __future__ import annotations

import json
import os
from typing import Annotated, Optional

import typer
from rich.table import Table

from colearn.cli.common import JsonOpt, OneLineHelpGroup, err, fail_settings, out, run, store
from colearn import served
from colearn.config import get_settings

keys_app = typer.Typer(help="API keys (admin, organisation, partner) and learner tokens.",
                       no_args_is_help=True, cls=OneLineHelpGroup)


def serve_cmd(
    host: Annotated[Optional[str], typer.Option(help="Bind address (default: COLEARN_HOST).")] = None,
    port: Annotated[Optional[int], typer.Option(help="Port (default: COLEARN_PORT).", min=1, max=65535)] = None,
    workers: Annotated[Optional[int], typer.Option(min=1, help="Worker processes; they share one recommender, "
                                                   "built before they are forked (default: COLEARN_WORKERS).")] = None,
) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs).

    Without COLEARN_BASE_URL, the public base URL (in published Open Badges
    documents, claim and sign-in links, and what ``POST /verify`` takes as
    "published here") is the address served, e.g. ``http://127.0.0.1:8123``
    for ``--port 8123``; behind a proxy, set COLEARN_BASE_URL to the public address.
    Either way it is written to ``<data dir>/served-base-url`` with this process's pid,
    which other commands of that data directory (``colearn issue``) use when
    COLEARN_BASE_URL is unset, while this server runs; on stopping it puts back the
    address of a server recorded before it that still runs, or removes the file.

    This process starts the embedded store (or reuses a running one, and takes it
    over once the process that owns it is gone), restarts it if it crashes, and on
    SIGTERM or SIGINT stops the workers, then the store it started or took over
    (its append-only file compacted first). Workers and the store get SIGTERM from
    the kernel if this process dies, even by SIGKILL.
    """
    from colearn.service.forked import CannotListen, serve

    settings = get_settings()
    # the environment's values are settings (one-line errors naming the variable), the options override them
    host, port, workers = host or settings.host, port or settings.port, workers or settings.workers
    if "base_url" not in settings.model_fields_set:
        # no COLEARN_BASE_URL: published documents, claim links and /verify name the
        # address served here, not the default port (forked workers inherit the variable)
        os.environ["COLEARN_BASE_URL"] = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
        get_settings.cache_clear()
        settings = get_settings()
    # and so do other processes of this data directory without COLEARN_BASE_URL (colearn issue),
    # while this server runs (colearn.served)
    release = served.record(settings.data_dir, settings.base_url)

    def listening(url: str) -> None:
        err.print(f"colearn: serving on {url} (OpenAPI docs at {url}/docs) with {workers} "
                  f"worker{'s' * (workers != 1)}; Ctrl-C stops", soft_wrap=True)  # a URL is never broken

    try:
        run(lambda: serve(settings, host, port, workers, listening))
    except CannotListen as exc:
        fail_settings([f"{exc.strerror}; choose another port with COLEARN_PORT or --port "
                       "(or the address with COLEARN_HOST or --host)"])
    finally:
        release()


@keys_app.command("create")
def keys_create_cmd(
    role: Annotated[str, typer.Option(help="admin, organisation or partner.")],
    organisation: Annotated[Optional[str], typer.Option(help="The organisation an organisation key acts for.")] = None,
    origin: Annotated[Optional[list[str]], typer.Option(help="An origin a partner key may be used from (repeat).")] = None,
    name: Annotated[str, typer.Option(help="A label for people.")] = "",
) -> None:
    """Create an API key. The key is printed once; only its hash is kept."""
    from colearn.service.auth import create_key

    def body() -> None:
        with store() as s:
            key = create_key(s, role, organisation_id=organisation, origins=origin or [], name=name)
        err.print(f"created {key.role} key {key.id}; store it now, it is not shown again:")
        print(key.secret)

    run(body)


@keys_app.command("list")
def keys_list_cmd(as_json: JsonOpt = False) -> None:
    """List API keys (ids, roles, bindings; never secrets)."""
    from colearn.service.auth import list_keys

    def body() -> None:
        with store() as s:
            rows = list_keys(s)
        if as_json:
            out.print_json(json.dumps(rows))
            return
        table = Table(title="API keys")
        for col in ("id", "role", "organisation", "origins", "name", "revoked"):
            table.add_column(col)
        for r in rows:
            table.add_row(r["id"], r["role"], r["organisation_id"] or "", " ".join(r["origins"] or []),
                          r["name"] or "", "yes" if r["revoked_on"] else "")
        out.print(table)

    run(body)


@keys_app.command("revoke")
def keys_revoke_cmd(key_id: Annotated[str, typer.Argument(help="The key's id (the part after col_).")]) -> None:
    """Revoke an API key; running servers refuse it within COLEARN_KEY_CACHE_SECONDS (5 s). It stays on record."""
    from colearn.service.auth import revoke_key

    def body() -> None:
        with store() as s:
            revoke_key(s, key_id)
        err.print(f"revoked {key_id}")

    run(body)


@keys_app.command("learner-token")
def keys_learner_token_cmd(
    learner_id: Annotated[str, typer.Argument(help="The learner the token is for.")],
    ttl: Annotated[int, typer.Option(min=1, max=366 * 86400, help="Lifetime in seconds (at most a year).")] = 3600,
) -> None:
    """Print a signed token that lets one learner read their own data (an unknown learner is refused)."""
    from colearn.errors import NotFound
    from colearn.graph.access import learner_exists
    from colearn.service.auth import issue_learner_token, token_secret

    def body() -> None:
        settings = get_settings()
        with store() as s:
            if not learner_exists(s, learner_id):
                raise NotFound(f"learner '{learner_id}' does not exist: learners sign in by email "
                               "(POST /signin/email), or are created by an award")
        secret = settings.token_secret.get_secret_value() if settings.token_secret else None
        print(issue_learner_token(token_secret(settings.data_dir, secret), learner_id, ttl))

    run(body)
