"""Fixtures of the back-office tests (checks, deposits, roles, reports, exports), and
builders of what the admin's forms post.

The fixtures reach every test module through tests/donations/conftest.py; the builders
are imported by name.
"""

import datetime
import itertools

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from donations import checks, gift_sync
from donations.models import Deposit, Donor, Gift
from tests.conftest import migration_group

_numbers = itertools.count(1001)


@pytest.fixture
def bookkeeper(db):
    # No password: hashing one costs most of a test's time, and force_login needs none.
    user = User.objects.create_user("bea", "bea@example.org", is_staff=True)
    user.groups.add(
        migration_group("donations", "0002_bookkeepers_group", "create_bookkeepers", "Bookkeepers")
    )
    return user


@pytest.fixture
def bookkeeper_client(client, bookkeeper):
    client.force_login(bookkeeper)
    return client


@pytest.fixture
def donor(db):
    return Donor.objects.create(
        name="Ana Lopez",
        email="ana@example.org",
        street="12 Elm Street",
        city="New Haven",
        state="CT",
        postal_code="06510",
    )


@pytest.fixture
def deposit(db):
    return Deposit.objects.create(
        deposited_on=timezone.localdate(), bank_reference="SLIP-7", expected_total_cents=15000
    )


def check_form_data(campaign, donor, **overrides):
    """What the admin's "log a check" form posts: a $100 check no. 4321 from `donor`,
    received two days ago, anonymous, with a receipt. An override of None leaves the
    field out (an unticked box)."""
    data = {
        "donor": str(donor.pk),
        "amount": "100",
        "campaign": str(campaign.pk),
        "check_number": "4321",
        "check_date": "",
        "received_on": (timezone.localdate() - datetime.timedelta(days=2)).isoformat(),
        "deposit": "",
        "display_as": "anonymous",
        "memo": "",
        "send_receipt": "on",
        "confirm_duplicate": "False",
    }
    return {key: value for key, value in (data | overrides).items() if value is not None}


def deposit_form_data(**overrides):
    """What the admin's deposit form posts: a slip of 2026-11-20 expecting $150."""
    data = {"deposited_on": "2026-11-20", "bank_reference": "SLIP-9", "expected_total": "150"}
    return data | overrides


@pytest.fixture
def log_check(campaign, donor, bookkeeper):
    """`log_check(amount_cents=..., **fields)`: a check booked through the service."""

    def log(**fields):
        values = {
            "donor": donor,
            "campaign": campaign,
            "amount_cents": 10000,
            "check_number": str(next(_numbers)),
            "received_on": timezone.localdate() - datetime.timedelta(days=1),
            "user": bookkeeper,
        }
        return checks.record_check_gift(**(values | fields))

    return log


@pytest.fixture
def online_gift(campaign, donor):
    """`online_gift(amount_cents=..., **fields)`: a card gift as the ledger books it."""

    def make(**fields):
        number = next(_numbers)
        values = {
            "campaign": campaign,
            "donor": donor,
            "amount_cents": 5000,
            "method": Gift.Method.CARD,
            "display_as": "full",
            "stripe_payment_intent_id": f"pi_test{number}",
            "stripe_charge_id": f"ch_test{number}",
        }
        gift = Gift(**(values | fields))
        gift.derive_status()
        gift.save()
        gift_sync.sync_gift(gift)
        return gift

    return make
