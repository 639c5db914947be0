"""Fixtures of the quality tests: a headless Chromium, when the machine has one."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

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


@pytest.fixture(scope="session")
def screenshot(chromium: str) -> Callable[[Path, Path], subprocess.CompletedProcess[str]]:
    """Render an HTML file to a PNG in headless Chromium: ``screenshot(page, shot)`` returns the finished
    process (its stderr carries the page's console messages)."""

    def take(page: Path, shot: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--enable-logging=stderr",
                "--v=0",
                "--window-size=1280,1600",
                f"--screenshot={shot}",
                page.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    return take
