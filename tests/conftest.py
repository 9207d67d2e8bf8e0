import importlib
import shutil
import socket
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User

from campaigns.demo import load_demo_campaign
from campaigns.models import Campaign, HelpSection
from campaigns.organization import Organization
from devtools.stripe_standin import StripeStandin


def pytest_configure(config):
    # Whatever the checkout holds, the suite sees the same files: static files from the
    # source folders (a `collectstatic` run would bring its hashed names and its copies
    # of the stylesheets), and uploads in a folder of its own. Whitenoise still expects
    # the collected folder to exist, and warns otherwise.
    folder = Path(tempfile.mkdtemp(prefix="oca-tests-"))
    config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))
    settings.STATIC_ROOT = folder / "static"
    settings.STATIC_ROOT.mkdir()
    settings.MEDIA_ROOT = folder / "media"
    # One process runs the tests, and many touch the cache without a database: the
    # cache stays in memory here (with DEBUG off the site itself uses the database's,
    # see settings.CACHES; tests/test_rate_limit_workers.py serves it with gunicorn).
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test database; before it is dropped, an end to the connections
    other threads still hold (a live server's, Playwright's event loop's), which
    PostgreSQL would otherwise refuse to drop it for."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: a test's rolled-back campaigns must not
    live on in the next one's cached pages."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _english_after_each_test():
    """A request to /es/... leaves Spanish active in this thread; the next test starts
    in the site's language, as a new request would."""
    from django.utils import translation

    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def campaign(db):
    """The demo campaign: OCA's 2017 appeal with its five sections, published."""
    return load_demo_campaign()[0]


@pytest.fixture
def make_campaign(db):
    def make(**fields):
        defaults = {
            "title": "Spring appeal",
            "slug": "spring",
            "letter": "Please give.",
            "goal_target": 50,
            "is_published": True,
        }
        sections = fields.pop("sections", 0)
        _organization_on_file()
        campaign = Campaign.objects.create(**(defaults | fields))
        HelpSection.objects.bulk_create(
            HelpSection(campaign=campaign, position=i, heading=f"Way {i}", body="Text")
            for i in range(sections)
        )
        return campaign

    return make


def _organization_on_file():
    """The organization's details as staff would have entered them (a real-looking EIN,
    no suite), unless a test (or the demo) entered them already."""
    organization = Organization.current()
    if not organization.street:
        organization.street = "75 Charter Oak Avenue"
        organization.city_state_zip = "Hartford, CT 06106"
        organization.ein = "12-3456789"
        organization.save()
    return organization


@pytest.fixture
def organization(db):
    return _organization_on_file()


@pytest.fixture
def stripe_standin(settings):
    """The offline Stripe, reached by the real client; events are recorded, not sent."""
    standin = StripeStandin(webhook_url=None, webhook_secret=settings.STRIPE_WEBHOOK_SECRET)
    standin.start()
    settings.STRIPE_API_BASE = standin.url
    yield standin
    standin.stop()


@pytest.fixture
def closed_port():
    """A local port nothing listens on: connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def mail_to_port(settings):
    """`mail_to_port(port)`: the site's mail goes by SMTP to that local port, where
    bench/smtp_sink.py listens (or nothing does: the mail server is down)."""

    def use(port):
        settings.MAILERS = {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
            }
        }

    return use


# Later data migrations that give a group more rights (for the models they add).
LATER_GRANTS = {
    "Editors": [
        ("campaigns", "0014_matching_challenges", "let_editors_set_matches"),
        ("fundraising", "0003_editors_review_pages", "let_editors_review_pages"),
    ],
    "Bookkeepers": [
        (
            "donations",
            "0009_private_gifts_consent_and_staff_alerts",
            "let_bookkeepers_keep_the_supporter_list",
        ),
        ("donations", "0018_staff_see_notices", "let_bookkeepers_see_notices"),
    ],
}


def migration_group(app_label, migration, function, name):
    """The group a data migration created, with what later migrations granted it.

    Tests with live_server or transactional_db flush every table afterwards, data
    migrations' rows included; this runs the migrations' own functions again then.
    """
    if not Group.objects.filter(name=name).exists():
        from django.apps import apps

        for label, module_name, function_name in [
            (app_label, migration, function),
            *LATER_GRANTS.get(name, []),
        ]:
            module = importlib.import_module(f"{label}.migrations.{module_name}")
            getattr(module, function_name)(apps, None)
    return Group.objects.get(name=name)


@pytest.fixture
def editor(db):
    user = User.objects.create_user("edna", "edna@example.org", "pw-edna-123", is_staff=True)
    user.groups.add(migration_group("campaigns", "0002_editors_group", "create_editors", "Editors"))
    return user


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("root", "root@example.org", "pw-root-123")


@pytest.fixture
def stranger(db):
    return User.objects.create_user("sam", "sam@example.org", "pw-sam-123")
