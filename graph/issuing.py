"""Moved: the award lifecycle lives in ``colearn.domain.awards`` (issue 11).

This name stays so that existing imports keep working: importing it gives the
very same module object as ``colearn.domain.awards`` (names, and patches of
them, are shared).
"""

import sys

from colearn.domain import awards as _awards

sys.modules[__name__] = _awards
