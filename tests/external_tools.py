"""Tests that drive Debian tools (chromium, dcmtk, dicom3tools) for real.

Where a tool is missing the test is skipped with the reason, except when the environment
variable CI is set: there the tools are part of the contract (scripts/test.sh installs
them), so a missing tool fails the test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

PACKAGE_OF = {"chromium": "chromium", "dcmdump": "dcmtk", "dsrdump": "dcmtk", "dciodvfy": "dicom3tools"}


def require_tool(name: str) -> str:
    """Absolute path of executable ``name``; skip (or fail under CI) when it is absent."""
    found = shutil.which(name)
    if found:
        return found
    msg = (f"{name} not found: install Debian package '{PACKAGE_OF.get(name, name)}' "
           "(scripts/test.sh does when run as root)")
    if os.environ.get("CI"):
        pytest.fail(f"{msg}; CI is set, so the tool is required")
    pytest.skip(msg)


def chromium(url: str, profile_dir: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run headless chromium once on ``url`` with a private profile and no network chatter."""
    exe = require_tool("chromium")
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--hide-scrollbars", f"--user-data-dir={profile_dir}", *args, url]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=True)


def dump_dom(html_path: Path, profile_dir: Path) -> str:
    """The DOM after the page's scripts ran, serialised by chromium."""
    return chromium(html_path.resolve().as_uri(), profile_dir, "--dump-dom").stdout


def screenshot(html_path: Path, png_path: Path, profile_dir: Path, size: tuple[int, int] = (1280, 1600)) -> Path:
    """PNG screenshot of the page's top ``size`` (width, height) pixels."""
    chromium(html_path.resolve().as_uri(), profile_dir, f"--window-size={size[0]},{size[1]}",
             f"--screenshot={png_path}")
    return png_path
