"""A live server of the project's WSGI application and a headless Debian chromium, for the
browser tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.core.wsgi import get_wsgi_application

from devtools.browser import CHROMEDRIVER, CHROMIUM, browser_available

collect_ignore = ["vendor"]

needs_browser = pytest.mark.skipif(
    not browser_available(),
    reason="chromium/chromedriver missing: `make test` installs them as root "
           "(apt-get install chromium chromium-driver)")


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args) -> None:  # the test output is not an access log
        pass


@pytest.fixture
def live_port(committed_db) -> Iterator[int]:
    """The project's WSGI application on a free loopback port; each request thread closes its
    database connection when its client disconnects (ThreadedWSGIServer.close_request)."""
    server = ThreadedWSGIServer(("127.0.0.1", 0), _QuietHandler)
    server.set_app(get_wsgi_application())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1366,900", "--hide-scrollbars"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
