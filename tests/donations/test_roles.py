"""Roles: Bookkeepers see donor data and money; Editors see none of it."""

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from donations.models import (
    Deposit,
    MonthlyGift,
    PaymentFailureNotice,
    ProcessedEvent,
    StaffAlert,
    Tribute,
    TributeNotice,
    UpdatesConsent,
    YearEndStatement,
)

DONATIONS_MODELS = [model for model in admin.site._registry if model._meta.app_label == "donations"]


@pytest.fixture
def one_of_each(campaign, donor, deposit, log_check, online_gift, bookkeeper, make_pledge):
    """A row of every donations model that has an admin page."""
    check = log_check(deposit=deposit)
    gift = online_gift()
    MonthlyGift.objects.create(
        donor=donor, campaign=campaign, stripe_subscription_id="sub_roles", amount_cents=2000
    )
    YearEndStatement.objects.create(donor=donor, year=2025, total_cents=100, gift_count=1)
    ProcessedEvent.objects.create(event_id="evt_roles", type="invoice.paid", created=timezone.now())
    UpdatesConsent.objects.create(donor=donor, wording="Yes", language="en", source="/")
    StaffAlert.objects.create(user=bookkeeper, kind="gift", key=str(gift.pk))
    pledge = make_pledge()
    PaymentFailureNotice.objects.create(pledge=pledge, key="pi_roles", amount_cents=5000)
    tribute = Tribute.objects.create(pledge=pledge, kind="honor", honoree="Rosa")
    TributeNotice.objects.create(tribute=tribute, gift=gift)
    return {"check": check, "gift": gift}


def _every_donations_page(one_of_each):
    """Every admin page that shows donor data or money, with the object it needs."""
    urls = []
    for model in DONATIONS_MODELS:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls.append(reverse(f"{prefix}_changelist"))
        urls.append(reverse(f"{prefix}_add"))
        obj = model.objects.first()
        assert obj is not None, f"no {model.__name__} to test with"
        for view in ("change", "history", "delete"):
            urls.append(reverse(f"{prefix}_{view}", args=[obj.pk]))
    check = one_of_each["check"]
    urls += [
        reverse("admin:donations_gift_report"),
        reverse("admin:donations_gift_export"),
        reverse("admin:donations_donor_export"),
        reverse("admin:donations_donor_supporters") + "?tool=mailchimp",
        reverse("admin:donations_donor_supporters") + "?tool=action-network",
        reverse("admin:donations_updatesconsent_import"),
        reverse("admin:donations_gift_alerts"),
        reverse("admin:donations_gift_letters") + f"?ids={check.pk}",
        reverse("admin:donations_gift_void") + f"?ids={check.pk}",
        reverse("admin:donations_deposit_close", args=[Deposit.objects.get().pk]),
        reverse("admin:autocomplete")
        + "?app_label=donations&model_name=gift&field_name=donor&term=Ana",
    ]
    return urls


def test_it_refuses_editors_every_donations_page(client, editor, one_of_each):
    client.force_login(editor)
    urls = _every_donations_page(one_of_each)
    assert len(urls) > 30

    refused = {url: client.get(url).status_code for url in urls}

    assert set(refused.values()) == {403}, {u: s for u, s in refused.items() if s != 403}


def test_it_refuses_editors_every_donations_action(client, editor, one_of_each):
    client.force_login(editor)
    check = one_of_each["check"]
    posts = [
        (reverse("admin:donations_gift_add"), {"amount": "10"}),
        (reverse("admin:donations_gift_void") + f"?ids={check.pk}", {"reason": "x"}),
        (reverse("admin:donations_deposit_close", args=[check.deposit_id]), {}),
        (
            reverse("admin:donations_gift_changelist"),
            {"action": "export_gifts", "_selected_action": [str(check.pk)]},
        ),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    check.refresh_from_db()
    assert check.counted and not check.deposit.is_closed


def test_editors_do_not_see_the_donations_app(client, editor):
    client.force_login(editor)
    html = client.get(reverse("admin:index")).content.decode()
    assert "Campaigns" in html
    assert "/admin/donations/" not in html
    assert client.get(reverse("admin:app_list", args=["donations"])).status_code == 404


def test_bookkeepers_reach_every_page_they_need(bookkeeper_client, one_of_each):
    check = one_of_each["check"]
    urls = [
        reverse("admin:donations_gift_changelist"),
        reverse("admin:donations_gift_add"),
        reverse("admin:donations_gift_change", args=[check.pk]),
        reverse("admin:donations_gift_change", args=[one_of_each["gift"].pk]),
        reverse("admin:donations_gift_history", args=[check.pk]),
        reverse("admin:donations_donor_changelist"),
        reverse("admin:donations_donor_add"),
        # The donor page's link to their gifts, and a monthly gift's to its charges.
        reverse("admin:donations_gift_changelist") + f"?donor__id__exact={check.donor_id}",
        reverse("admin:donations_gift_changelist") + "?monthly_gift__id__exact=1",
        reverse("admin:donations_deposit_changelist"),
        reverse("admin:donations_deposit_add"),
        reverse("admin:donations_deposit_change", args=[check.deposit_id]),
        reverse("admin:donations_monthlygift_changelist"),
        reverse("admin:donations_yearendstatement_changelist"),
        reverse("admin:donations_processedevent_changelist"),
        reverse("admin:donations_paymentfailurenotice_changelist"),
        reverse("admin:donations_tributenotice_changelist"),
        reverse("admin:donations_gift_report"),
        reverse("admin:donations_gift_export"),
        reverse("admin:donations_donor_export"),
        reverse("admin:donations_donor_supporters") + "?tool=mailchimp",
        reverse("admin:donations_donor_supporters") + "?tool=action-network",
        reverse("admin:donations_updatesconsent_import"),
        reverse("admin:donations_gift_alerts"),
        reverse("admin:donations_gift_letters") + f"?ids={check.pk}",
        reverse("admin:donations_gift_void") + f"?ids={check.pk}",
        reverse("admin:donations_deposit_close", args=[check.deposit_id]),
        reverse("admin:autocomplete")
        + "?app_label=donations&model_name=gift&field_name=donor&term=Ana",
    ]
    statuses = {url: bookkeeper_client.get(url).status_code for url in urls}
    assert set(statuses.values()) == {200}, statuses


def test_bookkeepers_cannot_delete_nor_edit_campaigns(bookkeeper_client, bookkeeper, one_of_each):
    check = one_of_each["check"]
    assert (
        bookkeeper_client.get(reverse("admin:donations_gift_delete", args=[check.pk])).status_code
        == 403
    )
    assert not bookkeeper.has_perm("campaigns.change_campaign")
    assert bookkeeper.has_perm("campaigns.change_feeditem")  # hiding feed items
    for perm in ("donations.view_reports", "donations.export_gifts", "donations.add_gift"):
        assert bookkeeper.has_perm(perm), perm


def test_the_groups_keep_to_their_own_data(editor, bookkeeper):
    editors = set(editor.groups.get().permissions.values_list("content_type__app_label", flat=True))
    bookkeepers = set(bookkeeper.groups.get().permissions.values_list("codename", flat=True))
    # The campaigns' copy, and the review of supporters' pages (approve, hide).
    assert editors == {"campaigns", "fundraising"}
    reviews = editor.groups.get().permissions.filter(content_type__app_label="fundraising")
    assert set(reviews.values_list("codename", flat=True)) == {
        "change_fundraisingpage",
        "view_fundraisingpage",
    }
    assert "change_campaign" not in bookkeepers
    assert not any(codename.startswith("delete_") for codename in bookkeepers)
