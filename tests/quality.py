"""Page-quality helpers for the test suite: axe-core, the Nu HTML validator and Lighthouse.

The tools come from the repository's package.json (``npm ci``, done by
``scripts/install-test-tools``) plus Debian's ``chromium`` and a Java runtime.

This module imports nothing beyond the standard library, so that
``scripts/lighthouse`` can use it with any Python 3 and so that importing it
never starts a browser or a JVM; the validator service starts on first use.

API:
    axe_violations(page, *, context=None) -> list[dict]
    assert_no_axe_violations(page, *, context=None)
    html_errors(html) -> list[dict]
    assert_valid_html(html)
    run_lighthouse(url, out_json_path) -> dict
    save_page_artifacts(page, directory, stem) -> list[Path]
"""

from __future__ import annotations

import atexit
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = REPO_ROOT / "node_modules"
# Where failing browser tests leave screenshots and HTML; CI may point it elsewhere.
ARTIFACTS_DIR = Path(os.environ.get("TEST_ARTIFACTS_DIR", REPO_ROOT / "test-artifacts"))
INSTALL_HINT = "run scripts/install-test-tools (as root) first"

# The browser is always Debian's Chromium: nothing in the project downloads a
# browser build of its own.
CHROMIUM = "/usr/bin/chromium"
# Flags for every Chromium the tests start (Playwright and Lighthouse alike):
# headless without a sandbox (CI runs as root) and without any background
# traffic, so that a run talks to nothing but the pages it is pointed at.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _require_file(path: Path, what: str) -> Path:
    if not path.is_file():
        raise RuntimeError(f"{what} not found at {path}: {INSTALL_HINT}")
    return path


# --------------------------------------------------------------------------
# axe-core
# --------------------------------------------------------------------------

# The WCAG 2.0, 2.1 and 2.2 levels A and AA, plus axe's best practices.
# axe-core has no rule tagged "wcag22a" (it has no check for the level-A
# criteria new in 2.2), and axe silently matches nothing for a tag it does not
# know, so listing one would only suggest coverage that is not there.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

_axe_source: str | None = None


def _axe_script() -> str:
    global _axe_source
    if _axe_source is None:
        path = _require_file(NODE_MODULES / "axe-core" / "axe.min.js", "axe-core")
        _axe_source = path.read_text(encoding="utf-8")
    return _axe_source


def _inject_axe(frame: Any) -> None:
    # Injection is by evaluating the file's text through the DevTools
    # protocol rather than page.add_script_tag(): add_script_tag inserts an
    # inline <script>, which the project's Content-Security-Policy
    # (scripts only from 'self' or with a nonce) blocks, so axe would never
    # load. Code evaluated by the protocol is not subject to the page's CSP.
    # The other way out, browser.new_context(bypass_csp=True), was rejected
    # because it switches CSP off for the whole page under test: an inline
    # script or style that the real policy would block would then run in the
    # tests and the breakage would go unnoticed.
    if frame.evaluate("() => typeof window.axe === 'undefined'"):
        frame.evaluate(_axe_script())


def axe_violations(page: Any, *, context: Any = None) -> list[dict]:
    """Run axe-core on a Playwright page and return its violations.

    ``context`` is axe's context argument: None for the whole document, a CSS
    selector, or a dict such as ``{"exclude": [["#map"]]}``. Each violation is
    axe's own dict (id, impact, help, helpUrl, tags, nodes[{target, html,
    failureSummary}]).
    """
    # Every frame gets axe, because axe.run() waits for an answer from each
    # iframe it finds and reports a frame it cannot reach as an error.
    for frame in page.frames:
        _inject_axe(frame)
    options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
    return page.evaluate(
        """async ([context, options]) => {
            const results = await window.axe.run(context ?? document, options);
            return results.violations;
        }""",
        [context, options],
    )


def format_axe_violations(violations: list[dict], *, max_nodes: int = 10) -> str:
    lines = []
    for violation in violations:
        lines.append(
            f"- {violation['id']} [{violation.get('impact') or 'no impact'}]: "
            f"{violation['help']} ({violation.get('helpUrl', '')})"
        )
        nodes = violation.get("nodes", [])
        for node in nodes[:max_nodes]:
            target = " >> ".join(
                " ".join(part) if isinstance(part, list) else str(part) for part in node["target"]
            )
            html = " ".join(node.get("html", "").split())
            if len(html) > 120:
                html = html[:117] + "..."
            lines.append(f"    at {target}    {html}")
        if len(nodes) > max_nodes:
            lines.append(f"    ... and {len(nodes) - max_nodes} more")
    return "\n".join(lines)


def assert_no_axe_violations(page: Any, *, context: Any = None) -> None:
    violations = axe_violations(page, context=context)
    if violations:
        raise AssertionError(
            f"axe found {len(violations)} accessibility rule(s) violated on {page.url}:\n"
            + format_axe_violations(violations)
        )


# --------------------------------------------------------------------------
# Nu HTML validator (vnu)
# --------------------------------------------------------------------------

# One validator service per test process: starting a JVM costs seconds,
# while a check against a running service costs tens of milliseconds.
_VNU_START_TIMEOUT = 120.0
_VNU_REQUEST_TIMEOUT = 60.0


def _vnu_jar() -> Path:
    # The vnu-jar package exports the path of the jar it ships; asking it
    # keeps working if a release moves the file inside the package.
    node = shutil.which("node")
    if node:
        result = subprocess.run(
            [node, "-p", "String(require('vnu-jar'))"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if result.returncode == 0 and result.stdout.strip():
            return _require_file(Path(result.stdout.strip()), "vnu.jar")
    # Without node, fall back to the place the package has always used.
    return _require_file(NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar", "vnu.jar")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _VnuService:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.process: subprocess.Popen | None = None
        self.url = ""
        self.log_path: Path | None = None
        self.ready = False
        self.started_at = 0.0
        self.start_seconds = 0.0

    def start(self) -> None:
        """Start the JVM without waiting for it (see prestart_html_validator)."""
        with self.lock:
            if self.process is not None and self.process.poll() is None:
                return
            java = shutil.which("java")
            if not java:
                raise RuntimeError(
                    "java not found: the Nu HTML validator needs Java 11 or later "
                    "(apt-get install -y default-jre-headless)"
                )
            jar = _vnu_jar()
            port = _free_port()
            self.url = f"http://127.0.0.1:{port}/"
            self.ready = False
            self.started_at = time.monotonic()
            # The JVM's output goes to a file, shown only if it fails to start.
            with tempfile.NamedTemporaryFile(prefix="vnu-", suffix=".log", delete=False) as log:
                self.log_path = Path(log.name)
                self.process = subprocess.Popen(
                    [
                        java,
                        # Listen on loopback only: the checker otherwise binds to
                        # every interface.
                        "-Dnu.validator.servlet.bind-address=127.0.0.1",
                        "-cp",
                        str(jar),
                        "nu.validator.servlet.Main",
                        str(port),
                    ],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )

    def wait_ready(self) -> None:
        if self.ready and self.process is not None and self.process.poll() is None:
            return
        self.start()
        assert self.process is not None
        deadline = self.started_at + _VNU_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"the Nu HTML validator exited with code {self.process.returncode}:\n"
                    + self._log_tail()
                )
            try:
                with urllib.request.urlopen(self.url, timeout=2) as response:
                    if response.status == 200:
                        self.ready = True
                        self.start_seconds = time.monotonic() - self.started_at
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(
            f"the Nu HTML validator did not answer within {_VNU_START_TIMEOUT:.0f} s:\n"
            + self._log_tail()
        )

    def _log_tail(self, lines: int = 30) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        process, self.process = self.process, None
        self.ready = False
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self.log_path is not None:
            self.log_path.unlink(missing_ok=True)
            self.log_path = None

    def check(self, html: str) -> list[dict]:
        self.wait_ready()
        request = urllib.request.Request(
            self.url + "?out=json",
            data=html.encode("utf-8"),
            headers={"Content-Type": "text/html; charset=utf-8"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=_VNU_REQUEST_TIMEOUT) as response:
            return json.load(response)["messages"]


_vnu = _VnuService()
atexit.register(_vnu.stop)


def prestart_html_validator() -> None:
    """Start the validator's JVM in the background, ahead of the first check.

    Optional: html_errors() starts it on first use anyway. Calling this early
    (e.g. from a session fixture) overlaps the JVM's start-up with other work.
    """
    _vnu.start()


def stop_html_validator() -> None:
    """Stop the validator service now (it is also stopped at interpreter exit)."""
    _vnu.stop()


def html_validator_start_seconds() -> float:
    """Seconds the running validator service took from launch to first answer."""
    return _vnu.start_seconds


def html_errors(html: str) -> list[dict]:
    """The Nu HTML validator's errors for one HTML document.

    Returns vnu's JSON messages of type "error" (fatal errors are among them,
    with subType "fatal"); info messages and warnings are left out. A
    "non-document-error" (the checker itself failed) raises RuntimeError
    rather than passing for a clean document.
    """
    messages = _vnu.check(html)
    broken = [m for m in messages if m.get("type") == "non-document-error"]
    if broken:
        raise RuntimeError(
            "the Nu HTML validator could not check the document: "
            + "; ".join(m.get("message", "") for m in broken)
        )
    return [m for m in messages if m.get("type") == "error"]


def format_html_errors(errors: list[dict]) -> str:
    lines = []
    for error in errors:
        line = error.get("lastLine", error.get("firstLine", "?"))
        column = error.get("firstColumn", error.get("lastColumn", "?"))
        fatal = " (fatal)" if error.get("subType") == "fatal" else ""
        lines.append(f"- line {line}, column {column}{fatal}: {error.get('message', '')}")
        extract = error.get("extract")
        if extract:
            lines.append("    " + extract.replace("\n", "\\n"))
    return "\n".join(lines)


def assert_valid_html(html: str) -> None:
    errors = html_errors(html)
    if errors:
        raise AssertionError(
            f"the Nu HTML validator found {len(errors)} error(s):\n" + format_html_errors(errors)
        )


# --------------------------------------------------------------------------
# Lighthouse
# --------------------------------------------------------------------------

LIGHTHOUSE_CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]


def run_lighthouse(url: str, out_json_path: str | os.PathLike) -> dict:
    """Run Lighthouse (mobile, default simulated throttling) on ``url``.

    Writes Lighthouse's full JSON report to ``out_json_path`` and returns
    ``{"performance", "accessibility", "best-practices", "seo"}`` as 0-100
    integers, plus ``total_transfer_bytes`` and ``image_transfer_bytes``
    (from the report's network requests) and ``report_path``.
    """
    lighthouse = _require_file(NODE_MODULES / ".bin" / "lighthouse", "lighthouse")
    out_path = Path(out_json_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "CHROME_PATH": CHROMIUM}
    command = [
        str(lighthouse),
        url,
        "--form-factor=mobile",
        "--only-categories=" + ",".join(LIGHTHOUSE_CATEGORIES),
        "--chrome-flags=" + " ".join(CHROMIUM_ARGS),
        "--output=json",
        f"--output-path={out_path}",
        "--quiet",
    ]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    if result.returncode != 0 or not out_path.is_file():
        raise RuntimeError(
            f"lighthouse failed with code {result.returncode} on {url}:\n"
            + (result.stderr or result.stdout)[-3000:]
        )
    report = json.loads(out_path.read_text(encoding="utf-8"))
    return lighthouse_summary(report, report_path=out_path)


def lighthouse_summary(report: dict, *, report_path: Path | None = None) -> dict:
    runtime_error = report.get("runtimeError")
    if runtime_error:
        raise RuntimeError(
            f"lighthouse could not audit {report.get('requestedUrl')}: "
            f"{runtime_error.get('code')}: {runtime_error.get('message')}"
        )
    summary: dict[str, Any] = {}
    for category in LIGHTHOUSE_CATEGORIES:
        score = report["categories"][category]["score"]
        if score is None:
            # A category without a score (e.g. performance on a page that never
            # painted) is a failed audit, not a zero or a pass.
            raise RuntimeError(f"lighthouse gave no {category} score for {report['requestedUrl']}")
        summary[category] = round(score * 100)
    requests = report["audits"]["network-requests"]["details"]["items"]
    summary["total_transfer_bytes"] = sum(r.get("transferSize") or 0 for r in requests)
    summary["image_transfer_bytes"] = sum(
        r.get("transferSize") or 0 for r in requests if r.get("resourceType") == "Image"
    )
    summary["report_path"] = report_path
    return summary


# --------------------------------------------------------------------------
# Failure artifacts
# --------------------------------------------------------------------------


def artifact_stem(nodeid: str) -> str:
    """A file-system-safe name for a test id."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid).strip("_")[:200]


def save_page_artifacts(page: Any, directory: Path, stem: str) -> list[Path]:
    """Save a full-page screenshot and the current HTML of a page."""
    directory.mkdir(parents=True, exist_ok=True)
    screenshot = directory / f"{stem}.png"
    html = directory / f"{stem}.html"
    page.screenshot(path=str(screenshot), full_page=True)
    html.write_text(page.content(), encoding="utf-8")
    return [screenshot, html]
