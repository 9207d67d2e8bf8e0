"""Logging, correcting and voiding mailed checks; their receipts and letters."""

import datetime

import pytest
from django.contrib.admin.models import ADDITION, LogEntry
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, FeedItem
from campaigns.organization import Organization
from donations import checks
from donations.models import Donor, Gift

from .backoffice_fixtures import check_form_data

ADD_URL = reverse("admin:donations_gift_add")


def _campaign(campaign):
    return Campaign.objects.get(pk=campaign.pk)


def test_it_logs_a_check_through_the_admin(bookkeeper_client, bookkeeper, campaign, donor):
    response = bookkeeper_client.post(
        ADD_URL, check_form_data(campaign, donor, amount="$1,250.50", memo="Year-end gift")
    )

    assert response.status_code == 302, response.context["errors"] if response.context else ""
    gift = Gift.objects.get()
    assert gift.method == Gift.Method.CHECK
    assert gift.amount_cents == 125050
    assert gift.status == Gift.Status.SUCCEEDED and gift.counted
    assert gift.check_number == "4321"
    assert gift.logged_by == bookkeeper
    assert gift.memo == "Year-end gift"
    assert gift.display_as == "anonymous"
    assert timezone.localtime(gift.given_at).date() == gift.received_on
    entry = LogEntry.objects.get(object_id=str(gift.pk))
    assert entry.action_flag == ADDITION and entry.user == bookkeeper
    assert "check no. 4321" in entry.get_change_message()


def test_it_shows_the_log_a_check_form(bookkeeper_client, campaign):
    html = bookkeeper_client.get(ADD_URL).content.decode()
    assert "Log a check" in html
    assert 'name="amount"' in html
    assert f'value="{timezone.localdate().isoformat()}"' in html  # received today by default
    # The duplicate confirmation is not offered until a duplicate is found.
    assert 'name="confirm_duplicate"' not in html


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "The amount must be more than $0."),
        ("0.00", "The amount must be more than $0."),
        ("-5", "a negative amount is not accepted"),
        ("$-20.00", "a negative amount is not accepted"),
        ("ten dollars", "Enter an amount in dollars, such as 100 or 100.00."),
        ("99,999,999.99", "That amount is too large to be a check."),
        ("", "Enter the amount of the check."),
    ],
)
def test_it_refuses_an_amount_that_is_not_positive(
    bookkeeper_client, campaign, donor, amount, message
):
    response = bookkeeper_client.post(ADD_URL, check_form_data(campaign, donor, amount=amount))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Gift.objects.exists()


def test_it_refuses_a_received_date_in_the_future(bookkeeper_client, campaign, donor):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = bookkeeper_client.post(
        ADD_URL, check_form_data(campaign, donor, received_on=tomorrow.isoformat())
    )

    assert response.status_code == 200
    assert "The date received cannot be in the future" in response.content.decode()
    assert not Gift.objects.exists()


def test_it_refuses_a_check_without_number_or_donor(bookkeeper_client, campaign, donor):
    data = check_form_data(campaign, donor, check_number="  ") | {"donor": ""}
    response = bookkeeper_client.post(ADD_URL, data)

    html = response.content.decode()
    assert "Enter the check number." in html
    assert "Choose the donor (type a name or e-mail), or add one with “+”." in html
    assert not Gift.objects.exists()


def test_it_warns_about_a_duplicate_and_saves_it_once_confirmed(
    bookkeeper_client, campaign, donor, log_check
):
    first = log_check(check_number="4321", amount_cents=10000)

    response = bookkeeper_client.post(ADD_URL, check_form_data(campaign, donor))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Check no. 4321 for $100.00 from Ana Lopez was already logged" in html
    assert 'type="checkbox" name="confirm_duplicate"' in html
    assert list(Gift.objects.all()) == [first]

    response = bookkeeper_client.post(
        ADD_URL, check_form_data(campaign, donor, confirm_duplicate="on")
    )
    assert response.status_code == 302
    assert Gift.objects.filter(check_number="4321", amount_cents=10000).count() == 2


def test_it_does_not_call_a_different_amount_or_a_voided_check_a_duplicate(
    bookkeeper_client, bookkeeper, campaign, donor, log_check
):
    log_check(check_number="4321", amount_cents=5000)
    voided = log_check(check_number="4321", amount_cents=10000)
    checks.void_gift(voided, "entered twice", bookkeeper)

    response = bookkeeper_client.post(ADD_URL, check_form_data(campaign, donor))

    assert response.status_code == 302
    assert Gift.objects.filter(check_number="4321").count() == 3


def test_the_service_refuses_a_duplicate_unless_confirmed(log_check):
    log_check(check_number="77", amount_cents=2500)

    with pytest.raises(checks.DuplicateCheck):
        log_check(check_number=" 77 ", amount_cents=2500)
    assert Gift.objects.count() == 1
    log_check(check_number="77", amount_cents=2500, confirm_duplicate=True)
    assert Gift.objects.count() == 2


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"amount_cents": 0}, "amount_cents", "not_positive"),
        ({"amount_cents": -100}, "amount_cents", "not_positive"),
        ({"received_on": datetime.date(2999, 1, 1)}, "received_on", "future"),
        ({"check_number": ""}, "check_number", "required"),
    ],
)
def test_the_service_refuses_bad_input_and_writes_nothing(log_check, fields, field, code):
    with pytest.raises(ValidationError) as caught:
        log_check(**fields)

    assert caught.value.error_dict[field][0].code == code
    assert not Gift.objects.exists()
    assert not FeedItem.objects.exists()


@pytest.mark.parametrize(
    ("display_as", "shown"),
    [("full", "Ana Lopez"), ("first", "Ana"), ("anonymous", "")],
)
def test_a_check_counts_toward_the_goal_and_shows_in_the_feed(
    campaign, log_check, display_as, shown
):
    gift = log_check(display_as=display_as, amount_cents=10000)

    campaign = _campaign(campaign)
    assert campaign.donor_count == 1
    assert campaign.raised_cents == 10000
    item = FeedItem.objects.get(source_key=gift.feed_key)
    assert item.display_name == shown
    assert item.kind == FeedItem.Kind.DONATED
    assert not item.withdrawn


def test_voiding_a_check_takes_it_out_of_the_goal_and_the_feed(campaign, bookkeeper, log_check):
    gift = log_check(display_as="full")
    assert _campaign(campaign).donor_count == 1

    checks.void_gift(gift, "bounced check", bookkeeper)

    gift.refresh_from_db()
    assert gift.status == Gift.Status.VOIDED and not gift.counted
    assert gift.voided_by == bookkeeper and gift.void_reason == "bounced check"
    assert gift.voided_at is not None
    campaign = _campaign(campaign)
    assert campaign.donor_count == 0 and campaign.raised_cents == 0
    assert FeedItem.objects.get(source_key=gift.feed_key).withdrawn


def test_it_voids_a_check_through_the_admin_with_a_reason(
    bookkeeper_client, bookkeeper, campaign, log_check
):
    gift = log_check()
    url = reverse("admin:donations_gift_void") + f"?ids={gift.pk}"

    page = bookkeeper_client.get(url).content.decode()
    assert gift.check_number in page and "Reason" in page

    response = bookkeeper_client.post(url, {"ids": str(gift.pk), "reason": ""})
    assert "Give the reason for voiding" in response.content.decode()
    gift.refresh_from_db()
    assert gift.counted

    response = bookkeeper_client.post(url, {"ids": str(gift.pk), "reason": "bounced check"})
    assert response.status_code == 302
    gift.refresh_from_db()
    assert gift.status == Gift.Status.VOIDED and gift.void_reason == "bounced check"
    assert _campaign(campaign).donor_count == 0


def test_it_voids_from_the_list_through_the_action(bookkeeper_client, log_check):
    gifts = [log_check(), log_check()]
    response = bookkeeper_client.post(
        reverse("admin:donations_gift_changelist"),
        {"action": "void_checks", "_selected_action": [str(g.pk) for g in gifts]},
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:donations_gift_void"))

    bookkeeper_client.post(response["Location"], {"reason": "entered twice"})
    assert Gift.objects.filter(status=Gift.Status.VOIDED).count() == 2


def test_it_refuses_to_void_twice_or_without_a_reason(bookkeeper, log_check):
    gift = log_check()
    with pytest.raises(ValidationError, match="Give the reason"):
        checks.void_gift(gift, "   ", bookkeeper)
    checks.void_gift(gift, "bounced check", bookkeeper)
    with pytest.raises(ValidationError, match="already voided"):
        checks.void_gift(gift, "again", bookkeeper)


def test_it_does_not_void_an_online_gift(bookkeeper, online_gift):
    gift = online_gift()
    with pytest.raises(ValidationError, match="refund an online gift in Stripe"):
        checks.void_gift(gift, "mistake", bookkeeper)
    gift.refresh_from_db()
    assert gift.counted


def test_a_voided_check_cannot_be_edited_in_admin(bookkeeper_client, bookkeeper, log_check):
    gift = log_check()
    checks.void_gift(gift, "bounced check", bookkeeper)
    url = reverse("admin:donations_gift_change", args=[gift.pk])

    html = bookkeeper_client.get(url).content.decode()
    assert 'name="amount"' not in html
    assert "bounced check" in html
    assert bookkeeper_client.post(url, {"memo": "x"}).status_code == 403


def test_it_corrects_a_check_in_an_open_deposit(
    bookkeeper_client, campaign, donor, deposit, log_check
):
    gift = log_check(deposit=deposit, amount_cents=10000, display_as="full")
    url = reverse("admin:donations_gift_change", args=[gift.pk])
    data = check_form_data(
        campaign,
        donor,
        amount="120.00",
        check_number=gift.check_number,
        received_on=gift.received_on.isoformat(),
        deposit=str(deposit.pk),
        display_as="first",
        send_receipt=None,
    )

    response = bookkeeper_client.post(url, data)

    assert response.status_code == 302, response.context["errors"] if response.context else ""
    gift.refresh_from_db()
    assert gift.amount_cents == 12000
    assert _campaign(campaign).raised_cents == 12000
    assert FeedItem.objects.get(source_key=gift.feed_key).display_name == "Ana"
    entry = LogEntry.objects.filter(object_id=str(gift.pk)).latest("action_time")
    assert "amount" in entry.get_change_message()


def test_online_gifts_are_read_only_in_admin(bookkeeper_client, online_gift):
    gift = online_gift()
    url = reverse("admin:donations_gift_change", args=[gift.pk])

    html = bookkeeper_client.get(url).content.decode()
    assert gift.stripe_payment_intent_id in html
    assert 'name="_save"' not in html
    assert bookkeeper_client.post(url, {"display_as": "anonymous"}).status_code == 403


def test_only_open_deposits_are_offered(bookkeeper_client, bookkeeper, deposit, log_check):
    log_check(deposit=deposit, amount_cents=15000)
    checks.close_deposit(deposit, bookkeeper)
    from donations.models import Deposit

    open_one = Deposit.objects.create(bank_reference="SLIP-8", expected_total_cents=100)

    form = bookkeeper_client.get(ADD_URL).context["adminform"].form
    assert list(form.fields["deposit"].queryset) == [open_one]


def test_a_check_gets_the_e_mail_receipt_after_commit(
    campaign, log_check, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        gift = log_check(amount_cents=10000, check_number="555")

    assert len(mailoutbox) == 1
    body = mailoutbox[0].body
    assert mailoutbox[0].to == ["ana@example.org"]
    assert "$100.00" in body and "Check no. 555" in body
    assert Organization.current().ein in body
    assert "No goods or services were provided in exchange for this contribution." in body
    gift.refresh_from_db()
    assert gift.receipt_status == Gift.Receipt.SENT


def test_a_donor_without_e_mail_gets_no_receipt_but_a_letter(
    bookkeeper_client, log_check, mailoutbox, django_capture_on_commit_callbacks
):
    donor = Donor.objects.create(
        name="Bo Carter", street="9 Oak Lane", city="Hartford", state="CT", postal_code="06106"
    )
    with django_capture_on_commit_callbacks(execute=True):
        gift = log_check(donor=donor, amount_cents=7500, check_number="1200")

    assert mailoutbox == []
    assert Gift.objects.get(pk=gift.pk).receipt_status == Gift.Receipt.NOT_NEEDED
    html = bookkeeper_client.get(
        reverse("admin:donations_gift_letters") + f"?ids={gift.pk}"
    ).content.decode()
    assert "Bo Carter" in html and "9 Oak Lane" in html and "Hartford, CT 06106" in html
    assert "$75.00" in html and "1200" in html


def test_the_letter_has_the_letterhead_and_the_irs_sentence(bookkeeper_client, campaign, log_check):
    gift = log_check(amount_cents=10000, check_number="4242")
    response = bookkeeper_client.post(
        reverse("admin:donations_gift_changelist"),
        {"action": "print_letters", "_selected_action": [str(gift.pk)]},
    )
    html = bookkeeper_client.get(response["Location"]).content.decode()

    for text in (
        Organization.current().legal_name,
        "75 Charter Oak Avenue",
        "Hartford, CT 06106",
        Organization.current().phone,
        f"EIN {Organization.current().ein}",
        "Ana Lopez",
        "12 Elm Street",
        "New Haven, CT 06510",
        "$100.00",
        "4242",
        "No goods or services were provided in exchange for this contribution.",
    ):
        assert text in html, text
    assert "style=" not in html and "<script>" not in html  # the page's CSP allows neither


def test_no_letter_for_a_voided_check(bookkeeper_client, bookkeeper, log_check):
    gift = log_check()
    checks.void_gift(gift, "bounced check", bookkeeper)

    response = bookkeeper_client.get(reverse("admin:donations_gift_letters") + f"?ids={gift.pk}")

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:donations_gift_changelist")


def test_the_e_mail_receipt_action_sends_and_says_what_it_skipped(
    bookkeeper_client, log_check, mailoutbox
):
    with_email = log_check(send_receipt=False)
    no_email = log_check(donor=Donor.objects.create(name="Bo Carter"))
    assert mailoutbox == []

    response = bookkeeper_client.post(
        reverse("admin:donations_gift_changelist"),
        {"action": "send_receipts", "_selected_action": [str(with_email.pk), str(no_email.pk)]},
        follow=True,
    )

    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["ana@example.org"]
    html = response.content.decode()
    assert "E-mailed 1 receipt." in html
    assert "1 gift has no receipt to send" in html
    assert Gift.objects.get(pk=with_email.pk).receipt_status == Gift.Receipt.SENT


def test_a_mail_failure_in_the_receipt_action_is_reported(
    bookkeeper_client, log_check, mailoutbox, settings
):
    gift = log_check(send_receipt=False)
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 1},
        }
    }

    response = bookkeeper_client.post(
        reverse("admin:donations_gift_changelist"),
        {"action": "send_receipts", "_selected_action": [str(gift.pk)]},
        follow=True,
    )

    assert "could not be sent" in response.content.decode()
    assert Gift.objects.get(pk=gift.pk).receipt_status == Gift.Receipt.FAILED


def test_a_check_corrected_after_its_receipt_went_out_gets_a_corrected_receipt(
    bookkeeper, log_check, mailoutbox, django_capture_on_commit_callbacks
):
    """The donor keeps the receipt for their taxes: once the amount, the donor, the
    number or the date it states is corrected, the receipt goes out again with the
    corrected facts (to the right donor); a change of the feed display or the memo
    sends nothing."""
    with django_capture_on_commit_callbacks(execute=True):
        gift = log_check(amount_cents=10000, check_number="555")
    with django_capture_on_commit_callbacks(execute=True):
        checks.change_check_gift(gift, user=bookkeeper, memo="Thank-you call made")
    assert len(mailoutbox) == 1

    luis = Donor.objects.create(name="Luis Vega", email="luis.vega@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        checks.change_check_gift(gift, user=bookkeeper, amount_cents=12000, donor=luis)

    assert len(mailoutbox) == 2
    assert mailoutbox[1].to == ["luis.vega@example.org"]
    assert "$120.00" in mailoutbox[1].body and "Luis Vega" in mailoutbox[1].body
    assert Gift.objects.get(pk=gift.pk).receipt_status == Gift.Receipt.SENT


@pytest.mark.parametrize("name", ["letters", "void"])
def test_a_hand_edited_selection_names_no_gift_instead_of_crashing(bookkeeper_client, name):
    # "²" passes str.isdigit() but not int(); int() refuses a number of 5,000 digits.
    for ids in ["²", "9" * 5000, "99999999999999999999"]:
        response = bookkeeper_client.get(reverse(f"admin:donations_gift_{name}") + f"?ids={ids}")

        assert response.status_code == 302, ids
        assert response["Location"] == reverse("admin:donations_gift_changelist")


@pytest.mark.parametrize("action", ["print_letters", "void_checks"])
def test_a_choice_of_more_gifts_than_one_page_holds_is_refused_not_cut(
    bookkeeper_client, campaign, donor, action
):
    # "Select all" on a long list: the page would have taken the first 500 gifts alone.
    gifts = Gift.objects.bulk_create(
        Gift(
            campaign=campaign,
            donor=donor,
            amount_cents=1000,
            method=Gift.Method.CHECK,
            check_number=str(number),
            received_on=datetime.date(2026, 3, 1),
            given_at=timezone.now(),
            status=Gift.Status.SUCCEEDED,
            counted=True,
        )
        for number in range(501)
    )

    response = bookkeeper_client.post(
        reverse("admin:donations_gift_changelist"),
        {"action": action, "_selected_action": [str(gift.pk) for gift in gifts]},
        follow=True,
    )

    assert response.redirect_chain[-1][0].startswith(reverse("admin:donations_gift_changelist"))
    assert "Nothing was done: choose at most 500 gifts at a time" in response.content.decode()
    assert Gift.objects.filter(status=Gift.Status.SUCCEEDED).count() == 501
