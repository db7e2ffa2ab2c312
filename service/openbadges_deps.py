"""Dependencies of the issuing, Open Badges and verification routers.

The ``KeyStore`` (issuer keys and the recipient pepper, files under the data
directory) is made on first use and kept on ``app.state``; a ``Publisher`` is
a cheap view over the store, the keys and the settings, made per request.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from colearn.errors import ColearnError, NotFound
from colearn.graph import queries
from colearn.openbadges.documents import Publisher
from colearn.openbadges.keys import KeyStore
from colearn.service.deps import SettingsDep, StoreDep

log = logging.getLogger(__name__)
_LOCK = threading.Lock()


def get_keys(request: Request, settings: SettingsDep) -> KeyStore:
    """The app's ``KeyStore`` (made on first use)."""
    with _LOCK:
        keys = getattr(request.app.state, "ob_keys", None)
        if keys is None:
            keys = request.app.state.ob_keys = KeyStore(settings.data_dir)
    return keys


KeysDep = Annotated[KeyStore, Depends(get_keys)]


def get_publisher(store: StoreDep, settings: SettingsDep, keys: KeysDep) -> Publisher:
    """Builds our Open Badges documents (URLs under ``Settings.base_url``)."""
    return Publisher.from_settings(store, settings, keys)


PublisherDep = Annotated[Publisher, Depends(get_publisher)]


def ensure_badge_key(pub: Publisher, badge_id: str | None) -> None:
    """Make the key of the organisation that defines ``badge_id`` (a completion badge
    just awarded), when colearn issues for it; an external issuer gets none."""
    rows = pub.store.read(queries.ISSUING_BADGES, {"badge_ids": [badge_id]}) if badge_id else []
    if rows and rows[0]["organisation_id"]:
        try:
            pub.ensure_key(rows[0]["organisation_id"])
        except NotFound:
            pass  # an external issuer's badge: colearn never signs for it


def tell_recommender(request: Request, learner_id: str | None, badge_id: str | None,
                     issued_on: datetime | int | None, *, held: bool) -> None:
    """Update the recommender's projection after an award enters (``held``) or
    leaves a portfolio, when it offers ``add_award`` / ``remove_award``.

    The recommender reads each learner's live portfolio per request, so this
    only keeps its co-occurrence statistics current; a failure is logged, not
    raised (the graph is the truth and a rebuild catches up).
    """
    rec = getattr(request.app.state, "recommender", None)
    method = getattr(rec, "add_award" if held else "remove_award", None)
    if method is None or learner_id is None or badge_id is None:
        return
    try:
        method(learner_id, badge_id, issued_on) if held else method(learner_id, badge_id)
    except (ColearnError, TypeError, ValueError) as exc:
        log.info("recommender not updated for %s/%s: %s", learner_id, badge_id, exc)
