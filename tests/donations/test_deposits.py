"""Bank deposits: their checks against the expected total, closing, and the lock."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, FeedItem
from donations import checks
from donations.admin import GiftAdmin
from donations.admin_forms import CheckGiftForm
from donations.models import Deposit, Donor, Gift

from .backoffice_fixtures import check_form_data, deposit_form_data


def _change_url(deposit):
    return reverse("admin:donations_deposit_change", args=[deposit.pk])


def test_the_summary_sets_the_checks_against_the_expected_total(bookkeeper, deposit, log_check):
    log_check(deposit=deposit, amount_cents=10000)
    log_check(deposit=deposit, amount_cents=2550)
    bounced = log_check(deposit=deposit, amount_cents=9999)
    checks.void_gift(bounced, "bounced check", bookkeeper)
    log_check(amount_cents=777)  # in no deposit

    summary = deposit.check_summary()

    assert summary["count"] == 2
    assert summary["total_cents"] == 12550
    assert summary["expected_cents"] == 15000
    assert summary["difference_cents"] == -2450
    assert not summary["balanced"]


def test_the_deposit_page_highlights_a_difference(bookkeeper_client, deposit, log_check):
    log_check(deposit=deposit, amount_cents=10000)
    log_check(deposit=deposit, amount_cents=2550)

    html = bookkeeper_client.get(_change_url(deposit)).content.decode()

    assert '<dd class="deposit-count">2</dd>' in html
    assert '<dd class="deposit-total">$125.50</dd>' in html
    assert '<dd class="deposit-expected">$150.00</dd>' in html
    assert '<strong class="deposit-mismatch">−$24.50 (less than expected)</strong>' in html


def test_the_deposit_page_says_when_the_checks_match(bookkeeper_client, deposit, log_check):
    log_check(deposit=deposit, amount_cents=15000)

    html = bookkeeper_client.get(_change_url(deposit)).content.decode()

    assert "deposit-mismatch" not in html
    assert "(matches)" in html


def test_the_deposit_list_shows_count_sum_and_difference(bookkeeper_client, deposit, log_check):
    log_check(deposit=deposit, amount_cents=16000)

    html = bookkeeper_client.get(reverse("admin:donations_deposit_changelist")).content.decode()

    assert "$160.00" in html and "$150.00" in html
    assert '<strong class="deposit-mismatch">+$10.00</strong>' in html


def test_it_creates_a_deposit_with_the_expected_total_in_dollars(bookkeeper_client):
    response = bookkeeper_client.post(
        reverse("admin:donations_deposit_add"),
        deposit_form_data(bank_reference="SLIP-9", expected_total="1,250.50"),
    )

    assert response.status_code == 302
    assert Deposit.objects.get(bank_reference="SLIP-9").expected_total_cents == 125050


@pytest.mark.parametrize(
    ("total", "message"),
    [
        ("0", "The expected total must be more than $0."),
        ("-10", "a negative amount is not accepted"),
        ("", "Enter the total of the deposit slip."),
        ("99,999,999,999", "That total is too large for one deposit."),
    ],
)
def test_it_refuses_a_deposit_without_a_sensible_total(bookkeeper_client, total, message):
    response = bookkeeper_client.post(
        reverse("admin:donations_deposit_add"),
        deposit_form_data(bank_reference="X", expected_total=total),
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Deposit.objects.exists()


def test_it_closes_a_balanced_deposit(bookkeeper_client, bookkeeper, deposit, log_check):
    log_check(deposit=deposit, amount_cents=10000)
    log_check(deposit=deposit, amount_cents=5000)
    url = reverse("admin:donations_deposit_close", args=[deposit.pk])

    assert "Once closed" in bookkeeper_client.get(url).content.decode()
    response = bookkeeper_client.post(url)

    assert response.status_code == 302
    deposit.refresh_from_db()
    assert deposit.is_closed and deposit.closed_by == bookkeeper


@pytest.mark.parametrize(
    ("amounts", "message"),
    [([10000], "add up to $100.00, not the expected $150.00"), ([], "has no checks yet")],
)
def test_it_refuses_to_close_an_unbalanced_or_empty_deposit(
    bookkeeper_client, bookkeeper, deposit, log_check, amounts, message
):
    for amount in amounts:
        log_check(deposit=deposit, amount_cents=amount)

    with pytest.raises(ValidationError, match=re.escape(message)):
        checks.close_deposit(deposit, bookkeeper)
    response = bookkeeper_client.post(
        reverse("admin:donations_deposit_close", args=[deposit.pk]), follow=True
    )

    assert message in response.content.decode()
    deposit.refresh_from_db()
    assert not deposit.is_closed


def test_the_close_action_closes_only_balanced_deposits(bookkeeper_client, deposit, log_check):
    log_check(deposit=deposit, amount_cents=15000)
    short = Deposit.objects.create(bank_reference="SHORT", expected_total_cents=9000)
    log_check(deposit=short, amount_cents=1000)

    response = bookkeeper_client.post(
        reverse("admin:donations_deposit_changelist"),
        {"action": "close_deposits", "_selected_action": [str(deposit.pk), str(short.pk)]},
        follow=True,
    )

    html = response.content.decode()
    assert "Closed 1 deposit." in html
    assert "not the expected $90.00" in html
    assert Deposit.objects.get(pk=deposit.pk).is_closed
    assert not Deposit.objects.get(pk=short.pk).is_closed


@pytest.fixture
def closed_deposit(bookkeeper, deposit, log_check):
    check = log_check(deposit=deposit, amount_cents=15000, display_as="full")
    checks.close_deposit(deposit, bookkeeper)
    return deposit, check


@pytest.mark.parametrize("field", ["amount_cents", "check_number", "deposit", "donor"])
def test_a_closed_deposit_refuses_changes_to_its_checks(bookkeeper, closed_deposit, field):
    deposit, check = closed_deposit
    new_values = {
        "amount_cents": 14000,
        "check_number": "999",
        "deposit": None,
        "donor": Donor.objects.create(name="Someone Else"),
    }

    with pytest.raises(ValidationError, match="closed"):
        checks.change_check_gift(check, user=bookkeeper, **{field: new_values[field]})

    check.refresh_from_db()
    assert check.amount_cents == 15000 and check.deposit == deposit
    assert check.check_number != "999" and check.donor.name == "Ana Lopez"


def test_a_closed_deposit_takes_no_new_check(bookkeeper, closed_deposit, log_check):
    deposit, _ = closed_deposit
    with pytest.raises(ValidationError, match="closed"):
        log_check(deposit=deposit)
    assert deposit.gifts.count() == 1


def test_a_closed_deposit_takes_no_check_moved_in(bookkeeper, closed_deposit, log_check):
    deposit, _ = closed_deposit
    loose = log_check()
    with pytest.raises(ValidationError, match="closed"):
        checks.change_check_gift(loose, user=bookkeeper, deposit=deposit)
    loose.refresh_from_db()
    assert loose.deposit is None


def test_a_check_in_a_closed_deposit_may_still_change_its_display_and_be_voided(
    bookkeeper, closed_deposit
):
    deposit, check = closed_deposit

    checks.change_check_gift(check, user=bookkeeper, display_as="anonymous", memo="ok")
    assert FeedItem.objects.get(source_key=check.feed_key).display_name == ""

    checks.void_gift(check, "bounced check", bookkeeper)
    check.refresh_from_db()
    assert check.status == Gift.Status.VOIDED
    assert Campaign.objects.get(pk=check.campaign_id).donor_count == 0


def test_the_admin_shows_a_locked_check_read_only(bookkeeper_client, closed_deposit):
    deposit, check = closed_deposit
    url = reverse("admin:donations_gift_change", args=[check.pk])

    html = bookkeeper_client.get(url).content.decode()
    assert 'name="amount"' not in html
    assert 'name="check_number"' not in html
    assert 'name="donor"' not in html
    assert 'name="memo"' in html  # what stays editable

    response = bookkeeper_client.post(
        url,
        {
            "amount": "1.00",
            "check_number": "1",
            "deposit": "",
            "display_as": "first",
            "memo": "corrected",
        },
    )
    assert response.status_code == 302
    check.refresh_from_db()
    assert check.amount_cents == 15000 and check.deposit == deposit
    assert check.check_number != "1"
    assert check.memo == "corrected" and check.display_as == "first"


def test_the_admin_refuses_changes_to_a_closed_deposit(bookkeeper_client, closed_deposit):
    deposit, _ = closed_deposit
    url = _change_url(deposit)

    html = bookkeeper_client.get(url).content.decode()
    assert 'name="expected_total"' not in html
    assert "its checks are locked" in html
    response = bookkeeper_client.post(
        url, deposit_form_data(deposited_on="2026-01-01", bank_reference="x", expected_total="1")
    )
    assert response.status_code == 403
    deposit.refresh_from_db()
    assert deposit.expected_total_cents == 15000


def _check_into(deposit, campaign, donor):
    """What the admin posts to log a $10 check into `deposit`."""
    return check_form_data(
        campaign,
        donor,
        amount="10",
        check_number="31",
        received_on="2026-01-02",
        deposit=str(deposit.pk),
        send_receipt=None,
    )


def test_the_admin_refuses_to_log_a_check_into_a_closed_deposit(
    bookkeeper_client, campaign, donor, closed_deposit
):
    deposit, _ = closed_deposit
    response = bookkeeper_client.post(
        reverse("admin:donations_gift_add"),
        _check_into(deposit, campaign, donor),
    )

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert deposit.gifts.count() == 1


def test_a_deposit_closed_while_a_check_was_being_logged_is_reported(
    bookkeeper_client, campaign, donor, deposit, log_check, monkeypatch
):
    """The form saw the deposit open; by the time the service saves, it is closed."""
    log_check(deposit=deposit, amount_cents=15000)
    page = bookkeeper_client.get(reverse("admin:donations_gift_add"))
    assert deposit in page.context["adminform"].form.fields["deposit"].queryset
    # Another bookkeeper closes it now; this form's own checks still see it open.
    Deposit.objects.filter(pk=deposit.pk).update(closed_at=timezone.now())
    monkeypatch.setattr(CheckGiftForm, "clean_deposit", lambda form: form.cleaned_data["deposit"])
    monkeypatch.setattr(
        GiftAdmin,
        "formfield_for_foreignkey",
        lambda self, db_field, request, **kwargs: db_field.formfield(**kwargs),
    )

    response = bookkeeper_client.post(
        reverse("admin:donations_gift_add"),
        _check_into(deposit, campaign, donor),
        follow=True,
    )

    assert "is closed: no check can join or leave it" in response.content.decode()
    assert deposit.gifts.count() == 1
    assert Gift.objects.count() == 1
