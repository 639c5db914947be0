"""Fixtures of the quality tests: a headless Chromium, when the machine has one."""

from __future__ import annotations

import os
import shutil

import pytest


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of a headless-capable Chromium; skips (fails under ECOMKIT_REQUIRE_SERVICES=1) without one."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    reason = "no Chromium browser installed (Debian package 'chromium')"
    if os.environ.get("ECOMKIT_REQUIRE_SERVICES", "") not in ("", "0", "false"):
        pytest.fail(f"ECOMKIT_REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)
