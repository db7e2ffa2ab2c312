"""Limits on what one caller can make the service do in bulk: mail (award notices) and work
(bulk awards in flight).

``NoticeCaps`` counts award notices in the rate limits' ``limits.BucketTable`` (shared by the
workers of one server, as the sign-in links' cap is); ``OneAtATime`` keeps one bulk award per
organisation in flight in a process. The app makes one of each at start (``service.app``,
``app.state.notice_caps`` and ``app.state.bulk_awards``).
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import threading
import time
from collections.abc import Iterator

from colearn.errors import RateLimited
from colearn.service.limits import BucketTable


class NoticeCaps:
    """Caps on award notices, so that no one can make the service mail without end: per
    organisation and recipient address an hour, and per organisation a day. The address's cap
    is counted per organisation, so a held notice tells an organisation only of its own mail,
    never whether others have been mailing that address.

    Token buckets (``per_address_hour`` at once, refilled over the hour; ``per_organisation_day``
    at once, refilled over the day) in ``table``, the ``BucketTable`` the server's workers share,
    as the sign-in links' cap per address is counted (per replica). The (organisation, address)
    pair is kept only as its SHA-256. A notice over a cap is held, not queued: the award is made all the same and waits
    for its learner, who sees it on signing in, or for its organisation to ask for the notice again
    (``POST /assertions/{id}/notice``, counted by the same caps: ``spend``).

    Args:
        per_address_hour: notices one organisation may have sent to one recipient address an hour.
        per_organisation_day: notices one organisation may have sent a day.
        table: where the counts are kept; a new ``BucketTable`` (this process's alone) when None.
    """

    def __init__(self, per_address_hour: int, per_organisation_day: int, table: BucketTable | None = None) -> None:
        self.per_address_hour = max(1, per_address_hour)
        self.per_organisation_day = max(1, per_organisation_day)
        self.table = table if table is not None else BucketTable()

    def hold(self, organisation_id: str, email: str, now: float | None = None) -> str | None:
        """Spend one notice of ``email``'s allowance and one of ``organisation_id``'s.

        Returns:
            None: the notice may be sent. Else why it is held (a sentence for the award's
            answer); an address over its cap spends nothing of the organisation's.
        """
        cap, _ = self._take(organisation_id, email, now)
        return None if cap is None else (f"notice held: {cap}; the award waits for the learner, who sees it on "
                                         "signing in, and POST /assertions/{id}/notice sends it later")

    def spend(self, organisation_id: str, email: str, now: float | None = None) -> None:
        """``hold`` for a notice asked for on its own (``POST /assertions/{id}/notice``).

        Raises:
            RateLimited: over a cap, naming it; ``retry_after`` is when that cap has a notice back.
        """
        cap, wait_s = self._take(organisation_id, email, now)
        if cap is not None:
            wait = max(1, math.ceil(wait_s))
            raise RateLimited(f"notice not sent: {cap}; try again in {wait} s", retry_after=wait)

    def _take(self, organisation_id: str, email: str, now: float | None) -> tuple[str | None, float]:
        """``(the cap at fault, in words; seconds until it has a notice back)``, or ``(None, 0.0)``:
        the notice may be sent, and one of each allowance is spent."""
        now = time.monotonic() if now is None else now
        address = hashlib.sha256(f"{organisation_id}\0{email.strip().lower()}".encode()).hexdigest()
        wait_s = self.table.take("award-notice-address", address, self.per_address_hour / 3600.0,
                                 self.per_address_hour, now)
        if wait_s > 0:
            return (f"this organisation has sent this address {self.per_address_hour} award notices in the "
                    "past hour (COLEARN_AWARD_NOTICES_PER_ADDRESS_HOUR)"), wait_s
        wait_s = self.table.take("award-notice-organisation", organisation_id, self.per_organisation_day / 86400.0,
                                 self.per_organisation_day, now)
        if wait_s > 0:
            return (f"this organisation has had {self.per_organisation_day} award notices sent in the past day "
                    "(COLEARN_AWARD_NOTICES_PER_ORGANISATION_DAY)"), wait_s
        return None, 0.0


#: Seconds a bulk award refused for one already running is told to wait (``OneAtATime``).
BULK_RETRY_AFTER_S = 5


class OneAtATime:
    """At most one call in flight per key (an organisation's bulk award) in this process.

    ``hold(key)`` is a context manager; while one holds ``key``, another ``hold(key)`` raises
    at once (it never waits: the first call may take many seconds).
    """

    def __init__(self) -> None:
        self._busy: set[str] = set()
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def hold(self, key: str, what: str, retry_after: int = BULK_RETRY_AFTER_S) -> Iterator[None]:
        """Hold ``key`` for the ``with`` block.

        Raises:
            RateLimited: ``key`` is held by a call in flight; the detail names ``what``.
        """
        with self._lock:
            if key in self._busy:
                raise RateLimited(f"{what} is already in progress: one at a time; try again in {retry_after} s, "
                                  "when it has ended", retry_after=retry_after)
            self._busy.add(key)
        try:
            yield
        finally:
            with self._lock:
                self._busy.discard(key)
