"""The service on a real port and Debian's Chromium driven by Playwright, for browser tests.

``live_server(app)`` serves an app with waitress in a thread on a free loopback port;
``chromium()`` launches ``/usr/bin/chromium`` headless (Playwright's own browser
download is not reachable here; ``scripts/setup.sh --with-chromium`` installs Debian's),
with the flags that keep it off the closed network.  Screenshots a reader can look at
without running anything go to ``docs/screenshots/`` (``shot``).
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import threading
from pathlib import Path

SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage"]

#: the widths the pages must work at: a desk's screen and a phone's
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def live_server(app):
    """``http://127.0.0.1:<port>`` serving ``app`` until the block ends."""
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=_free_port(), threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.close()
        thread.join(timeout=5)


@contextlib.contextmanager
def chromium():
    """A headless Debian Chromium under Playwright."""
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    if path is None:
        raise RuntimeError("Chromium 未安装：bash scripts/setup.sh --with-chromium / "
                           "Chromium is not installed: bash scripts/setup.sh --with-chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def shot(page, name: str, full_page: bool = True) -> Path:
    """Save a screenshot of ``page`` as docs/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def log_in(browser, site: str, name: str, password: str):
    """A new browser context logged in as ``name``, on its case list."""
    context = browser.new_context(viewport=DESKTOP, accept_downloads=True, locale="zh-CN")
    page = context.new_page()
    page.goto(site + "/login")
    page.get_by_label("账户名").fill(name)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(site + "/desk")
    return page


def done(page) -> str:
    """Wait for the page's message after an action; it must say the action was done."""
    message = page.locator(".flash").first
    try:
        message.wait_for(timeout=15000)
    except Exception:  # playwright's timeout: say what the page shows instead
        raise AssertionError(f"no message on {page.url}:\n"
                             + page.locator("main").inner_text()[:3000]) from None
    assert "flash-ok" in message.get_attribute("class"), message.inner_text()
    return message.inner_text()
