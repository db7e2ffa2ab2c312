"""Debian's Chromium for the browser tests, driven by Playwright (never a downloaded browser).

``sync_playwright = require_chromium()`` at a test module's top skips the module
when ``/usr/bin/chromium`` is missing, or fails it when ``COLEARN_REQUIRE_BROWSER``
is set (as ``.ci/run`` sets it), so that CI cannot pass by skipping.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
#: Headless flags; the background-networking ones keep Chromium off this machine's closed network.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]


def require_chromium() -> Any:
    """Playwright's ``sync_playwright``, once Chromium is known to be there (see module docstring)."""
    if not CHROMIUM.exists():
        if os.environ.get("COLEARN_REQUIRE_BROWSER"):
            pytest.fail("COLEARN_REQUIRE_BROWSER is set but /usr/bin/chromium is missing "
                        "(apt-get install -y chromium)", pytrace=False)
        pytest.skip("Debian's chromium is not installed (/usr/bin/chromium; apt-get install -y chromium)",
                    allow_module_level=True)
    return pytest.importorskip("playwright.sync_api").sync_playwright


def launch(pw: Any) -> Any:
    """A headless Debian Chromium under Playwright ``pw`` (from ``sync_playwright()``)."""
    return pw.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, headless=True)
