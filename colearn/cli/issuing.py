"""``colearn issue``, ``colearn revoke`` and ``colearn verify``: Open Badges awarded,
revoked and checked through the domain layer (``domain.awards``) and the
verifier (``openbadges.verify``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.table import Table

from colearn.cli.common import JsonOpt, err, out, run, store
from colearn.config import get_settings
from colearn.errors import InvalidInput
from colearn.graph.store import GraphStore


def _publisher(s: GraphStore) -> Any:
    from colearn.openbadges.documents import Publisher

    return Publisher.from_settings(s, get_settings())


def issue_cmd(
    badge_id: Annotated[Optional[str], typer.Argument(help="The badge to award (not with --csv).")] = None,
    org: Annotated[str, typer.Option("--org", help="The awarding organisation (it must define the badge).")] = "",
    email: Annotated[Optional[str], typer.Option(help="The recipient's email (published only as a salted hash).")] = None,
    url: Annotated[Optional[str], typer.Option(help="The recipient's URL (published only as a salted hash).")] = None,
    learner: Annotated[Optional[str], typer.Option(help="An existing learner id.")] = None,
    key: Annotated[Optional[str], typer.Option("--key", help="Idempotency key: the same key never awards twice.")] = None,
    evidence_url: Annotated[Optional[str], typer.Option(help="Evidence URL.")] = None,
    narrative: Annotated[Optional[str], typer.Option(help="Evidence narrative.")] = None,
    issued_on: Annotated[Optional[str], typer.Option(help="ISO 8601 with a time zone; default now.")] = None,
    expires_on: Annotated[Optional[str], typer.Option(help="ISO 8601; default: the badge's duration.")] = None,
    csv_file: Annotated[Optional[Path], typer.Option("--csv", help="Bulk award from a CSV file instead.")] = None,
    encoding: Annotated[Optional[str], typer.Option(
        "--encoding", help="The CSV file's encoding (e.g. windows-1252); default UTF-8.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Award nothing: list what would be awarded "
                                                            "and what refused.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Award a badge (or every row of a CSV) as an Open Badges assertion. Each new award to an
    email is notified with a claim link, as over HTTP (by SMTP, or to the outbox folder). A learner
    who already holds the badge live gets no second copy: that award is listed as existing, and why.
    With --dry-run nothing is written or sent: each award it would make is listed as "would award"."""
    from colearn.domain import awards as issuing

    from colearn.mail import mailer_for
    from colearn.service.learner_awards import notices_for, notify

    def body() -> None:
        settings = get_settings()
        if not org:
            raise InvalidInput("--org is required", field="org")
        with store() as s:
            pub = _publisher(s)
            pepper = pub.keys.recipient_pepper()
            if not dry_run:
                pub.ensure_key(org)  # issuing makes the key; no read ever does
            if csv_file is not None:
                if badge_id or email or url or learner or key:
                    raise InvalidInput("--csv takes the badge and recipient from each row")
                report = issuing.award_csv(s, org, csv_file, pepper=pepper, encoding=encoding,
                                            base_url=pub.urls.base, dry_run=dry_run)
            else:
                if encoding is not None:
                    raise InvalidInput("--encoding is the encoding of a --csv file", field="--encoding")
                if not badge_id:
                    raise InvalidInput("name a badge (or give --csv)", field="badge_id")
                given = [(t, v) for t, v in (("email", email), ("url", url)) if v]
                if len(given) > 1 or not (given or learner):
                    raise InvalidInput("give one of --email or --url, and/or --learner", field="email")
                recipient = issuing.Recipient(*given[0]) if given else \
                    issuing.learner_page(pub.urls.base, learner)
                request = issuing.AwardRequest(
                    badge_id, recipient, learner_id=learner, evidence_url=evidence_url,
                    evidence_narrative=narrative, issued_on=issuing.parse_time(issued_on, "issued_on"),
                    expires_on=issuing.parse_time(expires_on, "expires_on"), idempotency_key=key)
                report = issuing.AwardReport(awards=[issuing.award(s, org, request, pepper=pepper,
                                                                    base_url=pub.urls.base, dry_run=dry_run)],
                                             requests=[request], dry_run=dry_run)
            awards, refused = report.awards, report.refused
            # the learner is told as the API tells them: a notice with a claim link per new award to an email
            notices = notices_for(report)
            mailer = mailer_for(settings) if notices else None
            sent = notify(s, mailer, settings, notices, pepper=pepper).sent if mailer is not None else 0
            rows = [{"id": a.id, "badge_id": a.badge_id, "learner_id": a.learner_id,
                     **({"would_create": a.would_create} if dry_run else {"created": a.created}),
                     # an award a dry run would make does not exist: the status it would have, apart
                     "status": None if a.would_create else a.status,
                     **({"would_status": a.status} if a.would_create else {}),
                     "ob2": pub.urls.assertion(a.id), "ob3": pub.urls.credential(a.id),
                     "detail": a.detail} for a in awards]
        if as_json:
            out.print_json(json.dumps({"awards": rows, "refused": [{"record": r, "detail": d} for r, d in refused],
                                       "dry_run": dry_run}))
        else:
            for a, r in zip(awards, rows):
                what = ("would award" if a.would_create else "existing") if dry_run else \
                    ("new" if a.created else "existing")
                # a withdrawn award keeps no badge or learner: "-"
                print(f"{r['id']}\t{r['badge_id'] or '-'}\t{r['learner_id'] or '-'}\t{what}\t{r['ob2']}")
                if r["detail"]:  # held live already, awarded by an earlier row, or withdrawn: no second copy
                    err.print(r["detail"], highlight=False)
        for record, message in refused:
            err.print(f"[yellow]refused[/yellow] line {record}: {message}", highlight=False)
        if dry_run:
            would = report.would_create
            err.print(f"dry run: nothing was awarded; {would} award{'s' * (would != 1)} would be made"
                      + (f", {len(refused)} line{'s' * (len(refused) != 1)} refused (a real run would award "
                         "nothing)" if refused else ""), highlight=False)
        if refused:  # award_csv wrote nothing: the file lands whole or not at all
            if not dry_run:
                err.print(f"nothing was awarded: {len(refused)} line{'s' * (len(refused) != 1)} refused; correct "
                          "them and run the same command again", highlight=False)
            raise typer.Exit(1)
        if sent and mailer is not None:
            err.print(f"sent {sent} award notice(s) with a claim link via {mailer.where}", highlight=False)

    run(body)


def revoke_cmd(
    assertion_id: Annotated[str, typer.Argument(help="The assertion to revoke.")],
    reason: Annotated[str, typer.Option(help="Why (published in the revocation list).")],
    org: Annotated[Optional[str], typer.Option("--org", help="Act as this organisation (it must have issued the assertion).")] = None,
) -> None:
    """Revoke an assertion: it stays on record, leaves the portfolio, and verifiers see it revoked."""
    from colearn.domain import awards as issuing

    def body() -> None:
        with store() as s:
            record = issuing.revoke(s, assertion_id, reason, organisation_id=org)
        err.print(f"revoked {record.id}: {record.props.get('revocation_reason')}")

    run(body)


def verify_cmd(
    source: Annotated[str, typer.Argument(help="A JSON assertion or credential, a VC-JWT file, a baked PNG/SVG, "
                                               "or a URL published by this service.")],
    identity: Annotated[Optional[str], typer.Option(help="The recipient's email or URL, to check it is theirs.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Verify an Open Badge offline; exit status 1 when it is not valid."""
    from colearn.openbadges.verify import Verifier

    def body() -> bool:
        data: Any = source
        if not source.startswith(("http://", "https://")):
            try:
                data = Path(source).read_bytes()
            except OSError as exc:
                raise InvalidInput(f"cannot read: {exc}", file=source) from exc
        with store() as s:
            report = Verifier(_publisher(s)).verify(data, identity=identity)
        if as_json:
            out.print_json(json.dumps(report.to_dict()))
        else:
            table = Table(title=f"{'VALID' if report.valid else 'NOT VALID'}: {report.format} {report.id or ''}")
            for col in ("check", "outcome", "detail"):
                table.add_column(col)
            for c in report.checks:
                table.add_row(c.name, {True: "pass", False: "FAIL", None: "-"}[c.ok], c.detail)
            out.print(table)
        return bool(report.valid)

    if not run(body):
        raise typer.Exit(1)
