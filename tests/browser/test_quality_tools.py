"""The page-quality tools catch what they are meant to catch, and pass clean pages.

No Django here: pages come from page.set_content() or a small local http.server,
so a failure points at the tooling itself.
"""

import http.server
import os
import random
import struct
import subprocess
import sys
import threading
import zlib

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.quality import (
    NODE_MODULES,
    REPO_ROOT,
    assert_no_axe_violations,
    assert_valid_html,
    axe_violations,
    html_errors,
    run_lighthouse,
    save_page_artifacts,
)

# One of each fault: an image without alt, an input without a label,
# low-contrast text, a duplicate id and misnested / unclosed elements.
BROKEN_BODY = """
<main>
  <h1>Broken page</h1>
  <div id="fine"><p>This part is fine.</p></div>
  <img src="/pixel.png" width="10" height="10">
  <input type="text" name="amount">
  <p class="faint">Hard to read</p>
  <div id="dup">one</div><div id="dup">two</div>
  <p><b>misnested</p></b>
  <section><p>never closed
</main>
"""

BROKEN_HTML = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Broken</title>
<style>.faint {{ color: #c8c8c8; background: #ffffff; }}</style>
</head>
<body>{BROKEN_BODY}</body>
</html>
"""

CLEAN_HTML = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Clean page</title>
</head>
<body>
<main>
  <h1>Give today</h1>
  <p>Every gift helps.</p>
  <img src="/pixel.png" width="10" height="10" alt="A red dot">
  <form action="/give" method="post">
    <label for="amount">Amount in dollars</label>
    <input id="amount" name="amount" type="number" min="1">
    <button type="submit">Give</button>
  </form>
</main>
</body>
</html>
"""

# The same faults served with the project's kind of policy: the low contrast
# comes from a same-origin stylesheet (an inline <style> would be blocked), and
# the inline script must not run, which shows the policy is in force.
CSP = "default-src 'self'; script-src 'self'"
CSP_BROKEN_HTML = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Broken under CSP</title>
<link rel="stylesheet" href="/faint.css">
</head>
<body>{BROKEN_BODY}<script>window.inlineScriptRan = true;</script></body>
</html>
"""


def _png(width, height, seed=1):
    # Random RGB noise compresses badly, so the file is about width*height*3
    # bytes: a heavy image for the transfer-size check.
    rng = random.Random(seed)
    raw = b"".join(b"\x00" + rng.randbytes(width * 3) for _ in range(height))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


HEAVY_PNG = _png(300, 300)

ROUTES = {
    "/broken.html": ("text/html; charset=utf-8", BROKEN_HTML.encode(), {}),
    "/clean.html": ("text/html; charset=utf-8", CLEAN_HTML.encode(), {}),
    "/csp-broken.html": (
        "text/html; charset=utf-8",
        CSP_BROKEN_HTML.encode(),
        {"Content-Security-Policy": CSP},
    ),
    "/faint.css": ("text/css", b".faint { color: #c8c8c8; background: #ffffff; }", {}),
    "/pixel.png": ("image/png", _png(10, 10), {}),
    "/heavy-broken.html": (
        "text/html; charset=utf-8",
        BROKEN_HTML.replace('src="/pixel.png"', 'src="/heavy.png"').encode(),
        {},
    ),
    "/heavy.png": ("image/png", HEAVY_PNG, {}),
}


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        route = ROUTES.get(self.path.split("?")[0])
        if route is None:
            self.send_error(404)
            return
        content_type, body, headers = route
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def static_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def _rule_ids(violations):
    return {violation["id"] for violation in violations}


def test_it_finds_the_planted_accessibility_faults(page, static_server):
    page.goto(static_server + "/broken.html")
    assert {"image-alt", "label", "color-contrast"} <= _rule_ids(axe_violations(page))


def test_it_finds_no_accessibility_fault_on_a_clean_page(page, static_server):
    page.goto(static_server + "/clean.html")
    assert axe_violations(page) == []
    assert_no_axe_violations(page)


def test_it_finds_the_faults_in_set_content_pages_too(page):
    page.set_content(BROKEN_HTML)
    assert {"image-alt", "label", "color-contrast"} <= _rule_ids(axe_violations(page))


def test_it_checks_only_the_given_axe_context(page, static_server):
    page.goto(static_server + "/broken.html")
    assert axe_violations(page, context="#fine") == []
    assert _rule_ids(axe_violations(page, context={"exclude": [["#fine"]]})) >= {"image-alt"}


def test_it_fails_the_axe_assertion_with_rule_impact_help_and_target(page, static_server):
    page.goto(static_server + "/broken.html")
    with pytest.raises(AssertionError) as failure:
        assert_no_axe_violations(page)
    message = str(failure.value)
    assert "- image-alt [critical]: Images must have alternative text" in message
    assert "at img" in message
    assert "- label [critical]" in message
    assert "- color-contrast [serious]" in message
    assert "at .faint" in message


def test_it_injects_axe_under_a_strict_content_security_policy(page, static_server):
    page.goto(static_server + "/csp-broken.html")
    # The policy is in force: the page's own inline script was blocked ...
    assert page.evaluate("() => window.inlineScriptRan") is None
    # ... and so is the usual way of injecting axe, an inline <script> tag.
    with pytest.raises(PlaywrightError, match="Content Security Policy"):
        page.add_script_tag(path=NODE_MODULES / "axe-core" / "axe.min.js")
    assert page.evaluate("() => typeof window.axe") == "undefined"
    assert {"image-alt", "label", "color-contrast"} <= _rule_ids(axe_violations(page))


def test_it_reports_the_planted_html_errors():
    messages = [error["message"] for error in html_errors(BROKEN_HTML)]
    assert any("Duplicate ID “dup”" in message for message in messages), messages
    assert any("End tag “p” seen, but there were open elements" in message for message in messages)
    assert any("Unclosed element “section”" in message for message in messages), messages


def test_it_reports_no_html_error_on_a_clean_page():
    assert html_errors(CLEAN_HTML) == []
    assert_valid_html(CLEAN_HTML)


def test_it_fails_the_html_assertion_with_line_column_message_and_extract():
    with pytest.raises(AssertionError) as failure:
        assert_valid_html(BROKEN_HTML)
    message = str(failure.value)
    lines = BROKEN_HTML.splitlines()
    line = next(n for n, text in enumerate(lines, start=1) if 'id="dup">two' in text)
    column = lines[line - 1].index('<div id="dup">two') + 1
    assert f"- line {line}, column {column}: Duplicate ID “dup”." in message
    assert '<div id="dup">two' in message


def test_it_reports_errors_but_not_warnings():
    # Without lang the checker only advises (an info message, subtype warning) ...
    without_lang = CLEAN_HTML.replace('<html lang="en">', "<html>")
    assert html_errors(without_lang) == []
    # ... while a document without a doctype or title is in error.
    messages = [error["message"] for error in html_errors("<p>Just a paragraph</p>")]
    assert any("without seeing a doctype first" in message for message in messages), messages
    assert any("missing a required instance of child element “title”" in m for m in messages)


def test_it_saves_a_screenshot_and_the_html_of_a_page(page, tmp_path):
    page.set_content(CLEAN_HTML)
    png, html = save_page_artifacts(page, tmp_path, "clean")
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert "<h1>Give today</h1>" in html.read_text()


def test_it_leaves_artifacts_of_a_failing_browser_test(tmp_path):
    # A failing test in a throwaway project that uses this folder's conftest:
    # its output must name a screenshot and an HTML file that exist.
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "conftest.py").write_text(
        (REPO_ROOT / "tests" / "browser" / "conftest.py").read_text()
    )
    (tmp_path / "test_failing.py").write_text(
        "def test_it_fails(mobile_page):\n"
        "    mobile_page.set_content('<h1>Seen at the failure</h1>')\n"
        "    assert False, 'planted failure'\n"
    )
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONPATH"] = str(REPO_ROOT)
    env["TEST_ARTIFACTS_DIR"] = str(tmp_path / "artifacts")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:django", "-p", "no:cacheprovider", "-q"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "planted failure" in result.stdout
    assert "browser artifacts" in result.stdout
    directory = tmp_path / "artifacts" / "test_failing.py_test_it_fails_chromium"
    png, html = directory / "page1.png", directory / "page1.html"
    assert str(png) in result.stdout and str(html) in result.stdout
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert "Seen at the failure" in html.read_text()


def test_it_measures_scores_and_transfer_with_lighthouse(static_server, tmp_path):
    summary = run_lighthouse(static_server + "/heavy-broken.html", tmp_path / "lighthouse.json")
    assert (tmp_path / "lighthouse.json").is_file()
    for category in ("performance", "accessibility", "best-practices", "seo"):
        assert 0 <= summary[category] <= 100, summary
    # The planted faults cost accessibility points, and the heavy image counts.
    assert summary["accessibility"] < 100, summary
    assert summary["image_transfer_bytes"] >= len(HEAVY_PNG)
    assert summary["total_transfer_bytes"] > summary["image_transfer_bytes"]


def test_it_gives_a_desktop_page_and_a_phone_sized_mobile_page(page, mobile_page):
    page.set_content(CLEAN_HTML)
    mobile_page.set_content(CLEAN_HTML)
    size = "() => [window.innerWidth, window.innerHeight, matchMedia('(pointer: coarse)').matches]"
    assert page.evaluate(size) == [1280, 800, False]
    assert mobile_page.evaluate(size) == [360, 740, True]
