"""The real server and Debian's Chromium for the browser tests: `linkages serve
--insecure-local` (waitress) on a free local port against a test database, and Playwright
driving /usr/bin/chromium (it cannot download its own browsers here)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


def need_chromium() -> None:
    """Skipped without Chromium, except in CI, where a missing browser is a failure."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: apt-get install -y chromium"
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium under Playwright, closed afterwards."""
    need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                             headless=True)
        try:
            yield browser
        finally:
            browser.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(db_url: str, directory: Path, *args: str,
                 env: dict[str, str] | None = None) -> tuple[str, subprocess.Popen[bytes]]:
    """`linkages serve --insecure-local` on a free port, its log in ``directory``/serve.log;
    returns its URL once it answers, and the process (the caller stops it)."""
    port = free_port()
    environment = {**os.environ, "LINKAGES_DATABASE_URL": db_url,
                   "LINKAGES_VAR_DIR": str(directory),
                   "LINKAGES_SECRET_KEY": "browser-test-secret-0123456789abcdef", **(env or {})}
    linkages = Path(sys.executable).with_name("linkages")
    with (directory / "serve.log").open("w") as log:
        server = subprocess.Popen([str(linkages), "serve", "--port", str(port),
                                   "--insecure-local", *args], env=environment, stdout=log,
                                  stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{url}/login", timeout=2).close()
            return url, server
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail("linkages serve did not start:\n"
                            + (directory / "serve.log").read_text())
            time.sleep(0.2)


@contextmanager
def serve(db_url: str, directory: Path) -> Iterator[str]:
    """The server for the length of a ``with`` block."""
    url, server = start_server(db_url, directory)
    try:
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def keep_screenshot(path: Path) -> None:
    """Screenshots stay in the test's tmp dir; LINKAGES_SCREENSHOTS names a folder to copy
    them to for a person to look at."""
    target = os.environ.get("LINKAGES_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(target) / path.name)
