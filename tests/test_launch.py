"""``resilience-lab`` lands on the welcome lesson: what it prints, and what that URL serves.

The README promises that ``resilience-lab`` opens JupyterLab on ``lessons/00_welcome.ipynb``,
and that arguments pass through to JupyterLab. This runs the installed command as a learner
would, with ``--no-browser`` on a free loopback port, reads the URLs the server prints, and
fetches them. The server makes its own token, so the printed URL is exactly what a learner
copies. Only the HTML page is fetched (no browser runs), so nothing is written to lessons/.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from conftest import REPO, find_script, missing_tool

LESSON = "lessons/00_welcome.ipynb"
LESSON_URL_PATH = f"/lab/tree/{LESSON}"
SERVER_START_S = 60
STOP_S = 20
# JupyterLab's page carries its configuration as JSON, including the document to open.
PAGE_CONFIG = re.compile(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', re.S)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def launched(tmp_path_factory):
    """Run ``resilience-lab --no-browser`` until it has printed its URLs; yield (port, output)."""
    tmp_path = tmp_path_factory.mktemp("launch")
    command = find_script("resilience-lab")
    if command is None:
        missing_tool("the resilience-lab command", "pip install -e .")
    port = free_port()
    # Keep the server's runtime files, workspaces and settings out of the user's home.
    env = dict(
        os.environ,
        JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"),
        JUPYTERLAB_SETTINGS_DIR=str(tmp_path / "settings"),
    )
    log_path = tmp_path / "server.log"
    args = ["--no-browser", "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0"]
    with log_path.open("w") as log:
        # From a folder outside the repository: the command must find lessons/ by itself.
        server = subprocess.Popen([command, *args], cwd=tmp_path, env=env,
                                  stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + SERVER_START_S
            # The last thing printed at start-up: the URLs to copy, after the server listens.
            while "copy and paste one of these URLs" not in log_path.read_text():
                if server.poll() is not None:
                    pytest.fail(f"resilience-lab exited with {server.returncode}:\n{log_path.read_text()}")
                if time.monotonic() > deadline:
                    pytest.fail(f"resilience-lab printed no URL in {SERVER_START_S} s:\n{log_path.read_text()}")
                time.sleep(0.3)
            time.sleep(0.3)  # let the lines after the heading arrive
            yield port, log_path.read_text()
        finally:
            server.terminate()  # SIGTERM: jupyter_server stops without asking
            try:
                server.wait(timeout=STOP_S)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def fetch(url: str, attempts_until: float):
    """GET ``url``, retrying while the server is still starting; (final URL, body)."""
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return response.geturl(), response.read().decode("utf-8")
        except OSError:
            if time.monotonic() > attempts_until:
                raise
            time.sleep(0.3)


def test_printed_urls_open_the_welcome_lesson(launched):
    port, output = launched
    urls = sorted(set(re.findall(rf"https?://[^\s/]+:{port}/\S*", output)))
    assert urls, f"no URL with port {port} in the output:\n{output}"
    deadline = time.monotonic() + SERVER_START_S
    for url in urls:
        parts = urllib.parse.urlsplit(url)
        assert parts.hostname in ("127.0.0.1", "localhost"), f"not a loopback URL: {url}"
        assert parts.path == LESSON_URL_PATH, f"the printed URL does not open {LESSON}: {url}"
        assert urllib.parse.parse_qs(parts.query).get("token"), f"the printed URL has no token: {url}"

        final_url, page = fetch(url, deadline)
        # A token the server did not accept would redirect to /login.
        assert urllib.parse.urlsplit(final_url).path == LESSON_URL_PATH, f"{url} redirected to {final_url}"
        config = PAGE_CONFIG.search(page)
        assert config, f"{url} did not serve JupyterLab's page"
        config = json.loads(config.group(1))
        assert config.get("treePath") == LESSON, f"JupyterLab would open {config.get('treePath')!r}"
        assert Path(config.get("serverRoot", "")).resolve() == REPO.resolve(), "not rooted at the repository"


def test_browser_would_open_the_welcome_lesson(launched):
    """Without --no-browser, the browser is sent to the server's open file: it names the lesson."""
    _, output = launched
    opened = re.search(r"file://(\S+-open\.html)", output)
    assert opened, f"no browser-open file in the output:\n{output}"
    html = Path(urllib.parse.unquote(opened.group(1))).read_text()
    assert LESSON_URL_PATH in html, f"the browser would open:\n{html}"
