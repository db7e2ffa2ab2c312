"""Dependencies of the issuing, Open Badges and verification routers.

The ``KeyStore`` (issuer keys and the recipient pepper, files under the data
directory) is made on first use and kept on ``app.state``; a ``Publisher`` is
a cheap view over the store, the keys and the settings, made per request.
"""

from __future__ import annotations

import logging
import threading
from typing import Annotated

from fastapi import Depends, Request

from colearn.errors import NotFound
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


def tell_recommender(request: Request, *_: object, **__: object) -> None:
    """Bring this process's recommender up to date after a write through it.

    Every award operation records its change in the graph's change feed
    (``domain.awards``); this applies the feed now, in the request's thread,
    so the next request to this process sees the change (other processes
    apply it within one poll of their ``FeedFollower``). The arguments after
    ``request`` are ignored (kept for callers written before the feed).
    A failure is logged, not raised: the follower's next poll catches up.
    """
    follower = getattr(request.app.state, "follower", None)
    if follower is not None:
        follower.sync()
