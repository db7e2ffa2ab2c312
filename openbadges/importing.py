"""A learner adds a badge earned elsewhere to their portfolio.

The learner presents an OB 2.0 Assertion (JSON) or an OB 3.0 credential (JSON
with a Data Integrity proof, or a VC-JWT) and the email or URL it was awarded
to. It is verified offline as far as possible (``verify.Verifier``): a check
that fails (a broken signature, an expiry in the past, a revocation, a
recipient that is not them) refuses the import; checks that need the network
(a hosted assertion or status list elsewhere, an issuer key published
elsewhere) are recorded as not made. It is then stored like an ingested
document (``ingest.openbadges``: Organisation, Badge and Assertion nodes named
from the document's IRIs), but TO the importing learner, ``accepted``, with
``source: import``, its origin URL and the checks it passed.

The issuer and badge it names are anyone's say (a learner can sign a credential
naming "the City Council" as its issuer), so they never become the city's: those
the graph lacks are made with ``source: import``, which every reader of the city's
catalogue leaves out (``graph.queries._fragments._in_city``: lists, search, a
badge's page, references from opportunities and pathways, the recommender's
catalogue, ``/health``; insights count no import), and those it has are left as
they are. A learner holds at most ``MAX_IMPORTS`` imports. An award already in the
importing learner's portfolio (imported before) is not written again: the import
answers the record as stored, ``created`` false.

An award ``colearn ingest openbadges`` loaded before is held by the learner its
recipient hash names; the learner who imports it, proving that identity, takes
it over (``queries.REASSIGN_INGESTED_ASSERTION``). An imported award keeps that
recipient as ``recipient_learner`` (the Learner id an ingest gives it), so that
an ingest of the same award later passes it over instead of refusing it.

``verified`` says whether its origin was established: the issuer's hosted copy
(OB 2.0) or the signature under a key known to be the issuer's (OB 3.0, OB 2.0
signed). Offline, that holds only for documents this service published, which
need no import, so an import of another issuer's badge is stored with
``verified: false``: it is shown in the portfolio (marked) but never counts
toward a pathway's completion (``graph.queries.LEARNER_VERIFIED_PORTFOLIO``),
whose badge would otherwise vouch for a claim nobody checked.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from colearn.errors import Conflict, InvalidInput, NotFound
from colearn.graph import queries
from colearn.graph.schema import IMPORTED, AssertionStatus, Label
from colearn.graph.store import GraphStore
from colearn.ingest.openbadges import OBDocument, OBLearner, parse_openbadges_document, write_documents
from colearn.openbadges.recognise import compact_jws, jws_payload
from colearn.openbadges.verify import VerificationReport, Verifier

SOURCE = IMPORTED

#: The most awards one learner may import (in any state); one more is refused (422).
MAX_IMPORTS = 200


@dataclass(frozen=True)
class ImportResult:
    """An imported award.

    Attributes:
        assertion_id: its graph id.
        badge_id: the badge it is OF.
        issued_on: epoch seconds.
        report: the offline verification it passed.
        verified: whether its origin was established (see the module docstring);
            for an award imported before, as it was stored then.
        created: False when the award was in the learner's portfolio already
            (imported before): nothing was written.
    """

    assertion_id: str
    badge_id: str
    issued_on: int
    report: VerificationReport
    verified: bool = False
    created: bool = True


def import_badge(store: GraphStore, verifier: Verifier, learner_id: str, document: dict[str, Any] | str,
                 identity: str) -> ImportResult:
    """Verify a badge earned elsewhere and add it to ``learner_id``'s portfolio.

    Args:
        store: the graph.
        verifier: checks the document (offline).
        learner_id: the learner importing it (they must exist).
        document: OB 2.0 Assertion JSON, OB 3.0 credential JSON, or a VC-JWT.
        identity: the email or URL it was awarded to; it must match its recipient.

    Returns:
        The stored award and its verification report; ``created`` False (and
        nothing written) when the learner holds the award already.

    Raises:
        NotFound: no such learner.
        InvalidInput: not an Open Badges assertion or credential, a check
            failed, the recipient could not be matched to ``identity``, or the
            learner already holds ``MAX_IMPORTS`` imports (and not this one).
        Conflict: the award was issued here, or is already another learner's
            (other than the placeholder an ingest gave it, which it leaves).
    """
    if not store.read(queries.GET_LEARNER, {"learner_id": learner_id}):
        raise NotFound(f"learner '{learner_id}' not found")
    report = verifier.verify(document, identity=identity)
    if refused := report.refusals():
        reasons = "; ".join(f"{c.name}: {c.detail}" for c in refused)
        raise InvalidInput(f"the badge did not verify, so it is not imported: {reasons}")
    if report.check("recipient").ok is not True:
        raise InvalidInput("the badge's recipient could not be matched to the identity given", field="identity")
    if report.assertion_id is not None:
        raise Conflict(f"this award was issued here (assertion {report.assertion_id}); it needs no import")
    body = jws_payload(compact_jws(document) or document) if isinstance(document, str) else document
    parsed = parse_openbadges_document(Path("import.json"), document=body)
    if not parsed.assertions:
        raise InvalidInput(f"a {parsed.kind} is not an award; import an Assertion or a credential")
    made = [c.name for c in report.checks if c.ok is True]
    origin = report.check("hosted") if report.format == "ob2-hosted" else report.check("signature")
    verified = origin.ok is True
    imported = []
    for a in parsed.assertions:
        props = {**a.props, "status": str(AssertionStatus.ACCEPTED), "source": SOURCE,
                 "origin": a.source_url, "imported_on": int(time.time()), "verified_checks": made,
                 "verified": verified, "recipient_learner": a.learner.id}
        imported.append(replace(a, learner=OBLearner(learner_id, {}), props=props))
    a = imported[0]
    clash = store.read(queries.ASSERTION_ENDPOINTS, {"ids": [a.id]})
    if clash and clash[0]["learner_id"] == learner_id:  # imported before: answered as stored, not written again
        stored = store.read(queries.GET_ASSERTION, {"id": a.id})[0]
        return ImportResult(assertion_id=a.id, badge_id=stored["badge_id"] or a.badge_id,
                            issued_on=int(stored["props"].get("issued_on") or 0), report=report,
                            verified=stored["props"].get("verified") is not False, created=False)
    if store.read(queries.LEARNER_IMPORT_COUNT, {"learner_id": learner_id})[0]["n"] >= MAX_IMPORTS:
        raise InvalidInput(f"a portfolio holds at most {MAX_IMPORTS} imported badges; this one is not imported")
    if clash and clash[0]["learner_id"] != learner_id:
        # ingested before for whoever holds its recipient identity (the learner the hash
        # names): the importer has just proved it is theirs (the recipient check), so it
        # passes to them; any other holder keeps it
        holder = parsed.assertions[0].learner.id
        if clash[0]["learner_id"] != holder or clash[0]["badge_id"] != a.badge_id or not store.write(
                queries.REASSIGN_INGESTED_ASSERTION, {"id": a.id, "from": holder, "to": learner_id, "props": a.props}):
            raise Conflict("this award is already in another learner's portfolio")
    write_documents(store, [_own_nodes(store, replace(parsed, assertions=imported))],
                    source=f"import by {learner_id}", create_only=True)
    return ImportResult(assertion_id=a.id, badge_id=a.badge_id, issued_on=int(a.props.get("issued_on") or 0),
                        report=report, verified=verified)


def _own_nodes(store: GraphStore, doc: OBDocument) -> OBDocument:
    """``doc`` with only the issuers and badges the graph lacks, marked ``source: import``
    (not the city's, see the module docstring); one the graph has (the city's, or
    another import's) is left out, so that nothing of it is changed."""
    have = {label: {r["id"] for r in store.read(queries.existing_ids(label), {"ids": ids})}
            for label, ids in ((Label.ORGANISATION, [o.id for o in doc.organisations]),
                               (Label.BADGE, [b.id for b in doc.badges]))}
    return replace(doc,
                   organisations=[replace(o, props={**o.props, "source": IMPORTED}) for o in doc.organisations
                                  if o.id not in have[Label.ORGANISATION]],
                   badges=[replace(b, props={**b.props, "source": IMPORTED}) for b in doc.badges
                           if b.id not in have[Label.BADGE]])
