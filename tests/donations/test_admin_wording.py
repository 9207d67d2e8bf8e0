"""The bookkeepers' admin in plain words: deposits are open or closed, a check is
logged, amounts are dollars."""

from django.urls import reverse

from donations.models import Deposit


def test_the_deposit_filter_says_open_or_closed(client, bookkeeper):
    Deposit.objects.create(bank_reference="OPEN-1")
    client.force_login(bookkeeper)
    html = client.get(reverse("admin:donations_deposit_changelist")).content.decode()
    assert "?state=open" in html and ">Open</a>" in html and ">Closed</a>" in html
    assert "Empty" not in html and "Not empty" not in html
    closed = client.get(reverse("admin:donations_deposit_changelist") + "?state=closed")
    assert "OPEN-1" not in closed.content.decode()


def test_logging_a_check_is_called_that_in_the_breadcrumbs(client, bookkeeper):
    client.force_login(bookkeeper)
    html = client.get(reverse("admin:donations_gift_add")).content.decode()
    assert '<li aria-current="page">Log a check</li>' in html
    assert "Add gift" not in html


def test_a_logged_check_is_named_in_dollars(log_check):
    gift = log_check(amount_cents=10000)
    assert str(gift).startswith("Check gift of $100.00 by ")
