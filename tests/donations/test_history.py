"""History: who logged, changed, voided a check or closed a deposit, and when."""

from django.contrib.auth.models import Group, User
from django.urls import reverse

from donations import checks


def _history(client, name, obj):
    return client.get(reverse(f"admin:donations_{name}_history", args=[obj.pk])).content.decode()


def test_the_history_shows_who_logged_changed_and_voided_a_check(
    bookkeeper_client, bookkeeper, deposit, log_check
):
    colleague = User.objects.create_user("carl", is_staff=True)
    colleague.groups.add(Group.objects.get(name="Bookkeepers"))
    gift = log_check(check_number="3141", amount_cents=10000, deposit=deposit)
    checks.change_check_gift(gift, user=colleague, amount_cents=12000, memo="typo")
    checks.void_gift(gift, "bounced check", colleague)

    html = _history(bookkeeper_client, "gift", gift)

    assert "Logged check no. 3141 for $100.00." in html
    assert "Changed amount (cents) and memo." in html
    assert "Voided: bounced check" in html
    # Each line names its author: bea logged it, carl changed and voided it.
    logged = html.index("Logged check no. 3141")
    voided = html.index("Voided: bounced check")
    assert "bea" in html[html.rindex("<tr", 0, logged) : logged]
    assert "carl" in html[html.rindex("<tr", 0, voided) : voided]


def test_voiding_through_the_admin_is_in_the_history(bookkeeper_client, log_check):
    gift = log_check()
    bookkeeper_client.post(
        reverse("admin:donations_gift_void"), {"ids": str(gift.pk), "reason": "entered twice"}
    )

    html = _history(bookkeeper_client, "gift", gift)

    assert "Voided: entered twice" in html
    assert html.count("bea") >= 2  # logged and voided by the same bookkeeper


def test_closing_a_deposit_is_in_its_history(bookkeeper_client, bookkeeper, deposit, log_check):
    log_check(deposit=deposit, amount_cents=15000)
    checks.close_deposit(deposit, bookkeeper)

    assert "Closed: 1 check, $150.00." in _history(bookkeeper_client, "deposit", deposit)


def test_editors_cannot_read_the_history(client, editor, log_check):
    gift = log_check()
    client.force_login(editor)
    response = client.get(reverse("admin:donations_gift_history", args=[gift.pk]))
    assert response.status_code == 403
