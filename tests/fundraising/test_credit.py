"""Gifts through a supporter's page or share link are credited to it: the pledge and
the gift name the page, the feed says "via", the page's meter counts only its counted
gifts (refunds undo them), and staff see what each supporter raised."""

import csv
import io
import random
import re

import pytest
from django.contrib.auth.models import User

from campaigns.models import FeedItem
from donations.models import Gift, Pledge
from fundraising.views import page_totals
from tests.donations import stripe_payloads as sp
from tests.donations.giving_helpers import give_online
from tests.donations.webhook_helpers import deliver, ledger_snapshot


def _via_field(html):
    return re.search(r'<input type="hidden" name="via" value="([^"]*)">', html).group(1)


def test_the_share_link_carries_the_code_into_the_form_and_credits_the_page(
    client, campaign, make_page, stripe_standin, donation
):
    page = make_page()
    shared = client.get(f"{campaign.get_absolute_url()}?via=rosa")
    assert "no-store" in shared["Cache-Control"]  # rendered for its visitor, never kept
    assert _via_field(shared.content.decode()) == "rosa"
    assert _via_field(client.get(campaign.get_absolute_url()).content.decode()) == ""
    give_online(client, campaign, stripe_standin, donation, via="rosa", name="Ana Lopez")
    gift = Gift.objects.get()
    assert (gift.pledge.fundraiser, gift.fundraiser, gift.counted) == (page, page, True)
    item = FeedItem.objects.get()
    assert (item.via_name, item.via_ref) == ("Rosa", page.pk)
    html = client.get(campaign.get_absolute_url()).content.decode()
    assert re.search(r"Ana</span> donated via Rosa’s page", html)
    assert page_totals(page) == (1, 5000)


@pytest.mark.parametrize("code", ["nobody", "pending-page", "other-campaign"])
def test_an_unknown_or_unapproved_code_credits_nobody_and_the_gift_goes_on(
    client, campaign, make_page, make_campaign, stripe_standin, donation, code
):
    make_page(status="pending", slug="pending-page", email="p@example.org")
    other = make_campaign(slug="other")
    make_page(campaign=other, slug="other-campaign", email="o@example.org")
    give_online(client, campaign, stripe_standin, donation, via=code)
    gift = Gift.objects.get()
    assert gift.counted and gift.fundraiser is None and Pledge.objects.get().fundraiser is None
    assert FeedItem.objects.get().via_name == ""


def test_the_page_s_own_form_credits_it(client, campaign, make_page, stripe_standin, donation):
    page = make_page()
    html = client.get(page.get_absolute_url()).content.decode()
    give_online(client, campaign, stripe_standin, donation, via=_via_field(html))
    assert Gift.objects.get().fundraiser == page


def test_a_refund_undoes_the_page_s_total_and_its_feed_line(
    client, campaign, make_page, make_pledge, stripe_api
):
    page = make_page()
    kept, refunded = make_pledge(fundraiser=page), make_pledge(fundraiser=page, email="b@x.org")
    pis = {}
    for pledge in (kept, refunded):
        pis[pledge.pk] = sp.new_id("pi")
        stripe_api.amounts[pis[pledge.pk]] = pledge.amount_cents
        session = sp.checkout_session(pledge, pi_id=pis[pledge.pk])
        deliver(client, sp.event("checkout.session.completed", session))
    assert page_totals(page) == (2, 10000)
    deliver(
        client, sp.event("charge.refunded", sp.charge(pis[refunded.pk], 5000, amount_refunded=5000))
    )
    deliver(
        client, sp.event("charge.refunded", sp.charge(pis[kept.pk], 5000, amount_refunded=1500))
    )
    assert page_totals(page) == (1, 3500)
    html = client.get(page.get_absolute_url()).content.decode()
    assert "$35" in html and html.count('class="feed-item"') == 1


def test_shuffled_duplicated_events_credit_the_page_once(
    client, campaign, make_page, make_pledge, stripe_api
):
    page = make_page()
    rng = random.Random(16)
    events = []
    for n in range(6):
        pledge = make_pledge(email=f"d{n}@example.org", fundraiser=page if n % 2 else None)
        pi_id = sp.new_id("pi")
        stripe_api.amounts[pi_id] = pledge.amount_cents
        events.append(
            sp.event("checkout.session.completed", sp.checkout_session(pledge, pi_id=pi_id))
        )
        if n == 3:
            events.append(sp.event("charge.refunded", sp.charge(pi_id, 5000, amount_refunded=5000)))
    monthly = make_pledge(email="m@example.org", frequency="monthly", fundraiser=page)
    sub_id = sp.new_id("sub")
    first = sp.invoice(
        sub_id,
        amount=5000,
        metadata=sp.pledge_metadata(monthly),
        billing_reason="subscription_create",
    )
    session = sp.checkout_session(monthly, sub_id=sub_id, invoice_id=first["id"])
    events += [
        sp.event("checkout.session.completed", session),
        sp.event("invoice.paid", first),
    ]
    stream = events + rng.sample(events, k=len(events) // 2)
    rng.shuffle(stream)
    for event in stream:
        assert deliver(client, event).status_code == 200
    credited = Gift.objects.filter(fundraiser=page)
    # Pledges 1, 3 (refunded) and 5, and the monthly gift's first charge.
    assert credited.count() == 4 and Gift.objects.count() == 7
    assert page_totals(page) == (3, 15000)
    assert FeedItem.objects.filter(via_ref=page.pk, withdrawn=False).count() == 3
    snapshot = ledger_snapshot()
    for event in stream:
        deliver(client, event)
    assert ledger_snapshot() == snapshot and page_totals(page) == (3, 15000)


def test_hiding_a_page_takes_its_name_off_the_feed_and_approving_brings_it_back(
    campaign, make_page
):
    from tests.campaigns.gifts import donor, give

    page = make_page()
    give(campaign, donor("Ana Lopez"), fundraiser=page)
    page.status = "hidden"
    page.save()
    assert FeedItem.objects.get().via_name == ""
    page.status = "approved"
    page.display_name = "Rosa D."
    page.save()
    assert FeedItem.objects.get().via_name == "Rosa D."


# Staff -----------------------------------------------------------------------------


@pytest.fixture
def staff_client(client, superuser):
    client.force_login(superuser)
    return client


def test_staff_approve_a_page_and_its_supporter_is_told(
    staff_client, make_page, mailoutbox, django_capture_on_commit_callbacks
):
    page = make_page(status="pending")
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            "/admin/fundraising/fundraisingpage/",
            {"action": "approve_pages", "_selected_action": [page.pk]},
        )
    assert response.status_code == 302
    page.refresh_from_db()
    assert page.status == "approved" and page.approved_by.is_superuser
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["rosa@example.org"]
    assert f"/campaigns/{page.campaign.slug}/for/rosa/" in mailoutbox[0].body
    assert "?via=rosa" in mailoutbox[0].body


def test_editors_approve_and_hide_pages_but_do_not_delete_them(
    client, editor, make_page, django_capture_on_commit_callbacks
):
    page = make_page(status="pending")
    client.force_login(editor)
    assert client.get("/admin/fundraising/fundraisingpage/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/fundraising/fundraisingpage/",
            {"action": "approve_pages", "_selected_action": [page.pk]},
        )
    assert response.status_code == 302
    page.refresh_from_db()
    assert (page.status, page.approved_by) == ("approved", editor)
    assert not editor.has_perm("fundraising.delete_fundraisingpage")
    delete = client.get(f"/admin/fundraising/fundraisingpage/{page.pk}/delete/")
    assert delete.status_code == 403


# Committed as in production, where each approval's e-mail goes before the answer.
@pytest.mark.django_db(transaction=True)
def test_staff_are_told_when_the_approval_e_mail_could_not_be_sent(
    staff_client, make_page, monkeypatch
):
    import smtplib

    from django.core.mail.backends.locmem import EmailBackend

    def refuse(backend, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)
    page = make_page(status="pending")
    response = staff_client.post(
        "/admin/fundraising/fundraisingpage/",
        {"action": "approve_pages", "_selected_action": [page.pk]},
        follow=True,
    )
    page.refresh_from_db()
    assert page.status == "approved"
    assert "1 supporter could not be told by e-mail" in response.content.decode()


def test_a_page_hidden_before_it_was_written_is_not_approved(
    staff_client, make_page, mailoutbox, django_capture_on_commit_callbacks
):
    # Staff hid a batch that held a draft (a link asked for, no page written yet).
    draft = make_page(status="hidden", slug="", display_name="", appeal="", email="d@x.org")
    written = make_page(status="hidden")
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            "/admin/fundraising/fundraisingpage/",
            {"action": "approve_pages", "_selected_action": [draft.pk, written.pk]},
            follow=True,
        )
    assert response.status_code == 200
    assert "Pages not written yet, or already public, were left as they were." in (
        response.content.decode()
    )
    draft.refresh_from_db()
    written.refresh_from_db()
    assert (draft.status, written.status) == ("hidden", "approved")
    assert [message.to for message in mailoutbox] == [["rosa@example.org"]]


def test_staff_correcting_a_photo_must_describe_it(staff_client, make_page):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .conftest import photo_bytes

    page = make_page(photo_alt="")
    url = f"/admin/fundraising/fundraisingpage/{page.pk}/change/"
    form = {
        "display_name": "Rosa",
        "appeal": page.appeal,
        "photo_alt": "",
        "goal_kind": "dollars",
        "goal_target": "500",
        "photo": SimpleUploadedFile("p.jpg", photo_bytes(), content_type="image/jpeg"),
    }
    response = staff_client.post(url, form)
    assert response.status_code == 200
    assert "Say in a few words what the photo shows." in response.content.decode()
    page.refresh_from_db()
    assert not page.photo


def test_the_list_filters_pages_waiting_for_approval(staff_client, make_page):
    make_page(status="pending", display_name="Waiting Wanda", slug="w", email="w@x.org")
    make_page(display_name="Public Pat", slug="p", email="p@x.org")
    html = staff_client.get("/admin/fundraising/fundraisingpage/?status__exact=pending")
    html = html.content.decode()
    assert "Waiting for approval" in html
    assert "Waiting Wanda" in html and "Public Pat" not in html


def test_staff_hide_a_page_with_a_reason(staff_client, client, make_page):
    page = make_page()
    asked = staff_client.post(
        "/admin/fundraising/fundraisingpage/",
        {"action": "hide_pages", "_selected_action": [page.pk]},
    )
    assert asked.status_code == 200 and "Why hide these pages?" in asked.content.decode()
    staff_client.post(
        "/admin/fundraising/fundraisingpage/",
        {"action": "hide_pages", "_selected_action": [page.pk], "apply": "1", "reason": "spam"},
    )
    page.refresh_from_db()
    assert (page.status, page.hidden_reason) == ("hidden", "spam")
    staff_client.logout()
    assert client.get(page.get_absolute_url()).status_code == 404


def test_the_report_shows_money_raised_per_supporter(staff_client, campaign, make_page):
    from tests.campaigns.gifts import change, donor, give

    rosa = make_page()
    lee = make_page(slug="lee", display_name="Lee", email="lee@example.org")
    give(campaign, donor("Ana"), amount=4000, fundraiser=rosa)
    refunded = give(campaign, donor("Ben"), amount=9900, fundraiser=rosa)
    change(refunded, refunded_cents=9900)
    give(campaign, donor("Cy"), amount=2500, fundraiser=lee)
    give(campaign, donor("Di"), amount=7700)
    html = staff_client.get("/admin/fundraising/fundraisingpage/report/").content.decode()
    assert re.search(r"Rosa</a></th>.*?<td class=\"raised\">\$40\.00</td>", html, re.S)
    assert re.search(r"Lee</a></th>.*?<td class=\"raised\">\$25\.00</td>", html, re.S)
    response = staff_client.get("/admin/fundraising/fundraisingpage/report/?format=csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == ["campaign", "supporter", "email", "status", "gifts", "donors", "raised"]
    assert [row[1:] for row in rows[1:]] == [
        ["Rosa", "rosa@example.org", "Approved (public)", "1", "1", "40.00"],
        ["Lee", "lee@example.org", "Approved (public)", "1", "1", "25.00"],
    ]
    export = staff_client.get("/admin/donations/gift/export/")
    lines = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    column = lines[0].index("raised_through")
    assert sorted(line[column] for line in lines[1:]) == ["", "Lee", "Rosa", "Rosa"]


def test_the_report_leaves_out_a_page_hidden_before_it_was_written(staff_client, make_page):
    make_page()
    make_page(status="hidden", slug="", display_name="", appeal="", email="d@x.org")
    html = staff_client.get("/admin/fundraising/fundraisingpage/report/").content.decode()
    assert html.count('<th scope="row">') == 1
    response = staff_client.get("/admin/fundraising/fundraisingpage/report/?format=csv")
    assert b"d@x.org" not in b"".join(response.streaming_content)


def test_the_report_is_for_staff_who_see_reports(client, make_page):
    clerk = User.objects.create_user("clerk", password="x", is_staff=True)
    client.force_login(clerk)
    assert client.get("/admin/fundraising/fundraisingpage/report/").status_code in (302, 403)


@pytest.mark.parametrize("value", ["abc", "1.5", "²", "99999999999999999999"])
def test_a_campaign_that_is_no_id_gets_the_report_of_every_campaign(staff_client, make_page, value):
    make_page()
    response = staff_client.get(f"/admin/fundraising/fundraisingpage/report/?campaign={value}")
    assert response.status_code == 200
    assert re.search(r"Rosa</a></th>", response.content.decode())
    csv_response = staff_client.get(
        f"/admin/fundraising/fundraisingpage/report/?campaign={value}&format=csv"
    )
    assert b"rosa@example.org" in b"".join(csv_response.streaming_content)
