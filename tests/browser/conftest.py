"""Playwright set-up for the browser tests (pytest-playwright + pytest-django's live_server).

- Chromium is Debian's /usr/bin/chromium; nothing downloads a browser.
- ``page`` is a 1280x800 desktop page; ``mobile_page`` a 360x740 touch phone.
- ``standin`` is the Stripe stand-in, delivering its events to the live server.
- Every test in this folder gets the ``browser`` marker: ``-m "not browser"`` skips them.
- A failing test leaves a full-page screenshot and the page's HTML of each of
  its open pages in test-artifacts/; the paths are printed with the failure.

Nothing here needs Django settings at import time, so the folder also runs
with ``-p no:django``.
"""

import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page

from tests.quality import (
    ARTIFACTS_DIR,
    CHROMIUM,
    CHROMIUM_ARGS,
    artifact_stem,
    save_page_artifacts,
)

# Playwright's sync API runs an asyncio event loop in the main thread, and
# Django's ORM refuses to run where it sees one (SynchronousOnlyOperation), which
# breaks the database work that tests and live_server's fixtures do in the main
# thread. The tests are synchronous and touch the ORM from one thread at a time,
# so the check guards nothing here. It must be set before any browser starts.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

HERE = Path(__file__).resolve().parent
DESKTOP_VIEWPORT = {"width": 1280, "height": 800}
MOBILE_VIEWPORT = {"width": 360, "height": 740}


def pytest_configure(config):
    if not any(line.startswith("browser:") for line in config.getini("markers")):
        config.addinivalue_line(
            "markers", "browser: drives Chromium (deselect with -m 'not browser')"
        )


# tryfirst: the marker has to be there before pytest's own hook deselects by -m.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    # A conftest's collection hook sees the whole session's items, not only
    # this folder's, so filter by path.
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def base_url(pytestconfig):
    # pytest-playwright 0.10 declares its stand-in for pytest-base-url's fixture
    # as a method of a plugin class, which pytest 9 deprecates with a warning
    # (an error under filterwarnings=error). Same lookup, as a plain function.
    return pytestconfig.getoption("--base-url", None) or pytestconfig.getini("base_url") or None


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    args = list(CHROMIUM_ARGS)
    if browser_type_launch_args.get("headless") is False:
        # --headed asks for a window; the flag list would otherwise override it.
        args.remove("--headless")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": args}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # bypass_csp stays off on purpose: pages are tested under the
    # Content-Security-Policy they really send (tests.quality injects axe in a
    # way that works under it).
    return {**browser_context_args, "viewport": DESKTOP_VIEWPORT}


@pytest.fixture
def standin(live_server, settings):
    """The stand-in Stripe, sending its events to the live server's webhook."""
    from devtools.stripe_standin import StripeStandin

    standin = StripeStandin(
        webhook_url=live_server.url + "/stripe/webhook/",
        webhook_secret=settings.STRIPE_WEBHOOK_SECRET,
    ).start()
    settings.STRIPE_API_BASE = standin.url
    settings.SITE_URL = live_server.url
    # The form's redirect goes to the stand-in's checkout page: the policy must allow
    # it, as it allows checkout.stripe.com in production.
    form_action = [*settings.SECURE_CSP["form-action"], standin.url]
    settings.SECURE_CSP = {**settings.SECURE_CSP, "form-action": form_action}
    yield standin
    standin.stop()


@pytest.fixture
def mobile_context(browser, browser_context_args):
    context = browser.new_context(
        **{
            **browser_context_args,
            "viewport": MOBILE_VIEWPORT,
            # is_mobile makes Chromium honour <meta name="viewport"> as a phone does.
            "is_mobile": True,
            "has_touch": True,
        }
    )
    yield context
    context.close()


@pytest.fixture
def mobile_page(mobile_context):
    return mobile_context.new_page()


def _open_pages(item):
    pages = []
    for value in getattr(item, "funcargs", {}).values():
        if isinstance(value, Page):
            candidates = [value]
        elif isinstance(value, BrowserContext):
            candidates = value.pages
        else:
            continue
        for page in candidates:
            if not page.is_closed() and all(page is not seen for seen in pages):
                pages.append(page)
    return pages


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    # The report of the call (or setup) phase is made before fixtures are torn
    # down, so the pages are still open here.
    if report.when not in ("setup", "call") or not report.failed:
        return
    if not item.path.is_relative_to(HERE):
        return
    pages = _open_pages(item)
    if not pages:
        return
    directory = ARTIFACTS_DIR / artifact_stem(item.nodeid)
    shutil.rmtree(directory, ignore_errors=True)
    lines = []
    for number, page in enumerate(pages, start=1):
        stem = f"page{number}"
        try:
            paths = save_page_artifacts(page, directory, stem)
        except Exception as error:  # a broken page must not hide the test's own failure
            lines.append(f"{stem} ({page.url}): could not be saved: {error}")
            continue
        lines.append(f"{stem} ({page.url}):")
        lines.extend(f"  {path}" for path in paths)
    report.sections.append(("browser artifacts", "\n".join(lines)))
