"""Supporters: consent to updates given with a paid gift, kept on record, withdrawn in
one click, exported for the mailing tool and imported back from it."""

import csv
import io

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client

from donations import supporters
from donations.models import Donor, Pledge, UpdatesConsent
from donations.supporters_export import ACTION_NETWORK_COLUMNS, MAILCHIMP_COLUMNS

from .giving_helpers import give_online

pytestmark = pytest.mark.django_db

MAILCHIMP_URL = "/admin/donations/donor/supporters/?tool=mailchimp"


def _read(response):
    """The CSV as a spreadsheet reads it: UTF-8 after its byte-order mark."""
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    return rows[0], rows[1:]


@pytest.fixture
def give(client, campaign, stripe_standin, donation):
    def make(**fields):
        return give_online(client, campaign, stripe_standin, donation, **fields)

    return make


# The form and the consent on record -------------------------------------------------


def test_the_box_is_on_the_form_and_unticked(client, campaign):
    page = client.get(campaign.get_absolute_url()).content.decode()
    assert 'name="updates" id="id_updates" value="on" aria-describedby="updates-hint">' in page
    assert "Send me occasional updates from OCA" in page


def test_a_paid_gift_records_the_consent_with_its_words_language_and_page(give, campaign):
    give(updates="on", name="Ana Peña", email="ana@example.org")
    consent = UpdatesConsent.objects.get()
    assert consent.donor == Donor.objects.get(email="ana@example.org")
    assert consent.wording == "Send me occasional updates from OCA"
    assert (consent.language, consent.source) == ("en", campaign.get_absolute_url())
    assert consent.pledge == Pledge.objects.get()
    assert consent.is_active


def test_the_consent_names_the_page_that_showed_the_box(client, give):
    assert '<input type="hidden" name="source" value="/">' in client.get("/").content.decode()
    give(updates="on", source="/")
    assert UpdatesConsent.objects.get().source == "/"


def test_a_source_that_is_no_path_of_ours_is_not_recorded(give, campaign):
    give(updates="on", source="https://evil.example/\n")
    assert UpdatesConsent.objects.get().source == campaign.get_absolute_url()


def test_a_spanish_page_records_the_spanish_words(give, campaign):
    give(prefix="/es", updates="on", email="zoe@example.org")
    consent = UpdatesConsent.objects.get()
    assert consent.language == "es"
    assert consent.wording == "Envíenme noticias ocasionales de OCA"
    assert consent.source == f"/es/campaigns/{campaign.slug}/"


def test_an_unpaid_pledge_consents_nothing(give, stripe_standin):
    give(pay=False, updates="on", email="mallory@example.org")
    session = give(pay=False, updates="on", email="mallory2@example.org")
    stripe_standin.pay(session, outcome="decline")
    assert Pledge.objects.filter(wants_updates=True).count() == 2
    assert not UpdatesConsent.objects.exists()
    assert not Donor.objects.exists()


def test_an_unticked_box_consents_nothing(give):
    give(email="bob@example.org")
    assert Donor.objects.filter(email="bob@example.org").exists()
    assert not UpdatesConsent.objects.exists()


# The export ------------------------------------------------------------------------------


def test_the_mailchimp_file_lists_each_opted_in_person_once(give, client, bookkeeper, campaign):
    give(updates="on", name="Ana Peña", email="ana@example.org")
    give(updates="on", name="Ana Peña", email="ANA@example.org", amount="100")  # twice
    give(updates="on", name="Zoë Müller-Ávila", email="zoe@example.org", frequency="monthly")
    give(updates="on", name='=HYPERLINK("http://evil") Eve', email="eve@example.org")
    give(updates="on", name="@Sam +1", email="sam@example.org")
    give(name="Bob Quiet", email="bob@example.org")  # never ticked the box
    give(updates="on", name="Carl Gone", email="carl@example.org")
    supporters.withdraw_consent(Donor.objects.get(email="carl@example.org"), "link")

    client.force_login(bookkeeper)
    header, rows = _read(client.get(MAILCHIMP_URL))

    assert header == ["Email Address", "First Name", "Last Name", "Tags"] == MAILCHIMP_COLUMNS
    by_email = {row[0]: row for row in rows}
    assert len(rows) == len(by_email) == 4
    assert "bob@example.org" not in by_email and "carl@example.org" not in by_email
    assert by_email["ana@example.org"][1:3] == ["Ana", "Peña"]
    assert by_email["zoe@example.org"][1:3] == ["Zoë", "Müller-Ávila"]
    assert by_email["eve@example.org"][1] == '\'=HYPERLINK("http://evil")'
    assert by_email["sam@example.org"][1:3] == ["'@Sam", "'+1"]
    assert by_email["zoe@example.org"][3].split(",") == [
        "monthly donor",
        f"campaign:{campaign.slug}",
        "language:en",
    ]
    assert by_email["ana@example.org"][3].split(",") == [f"campaign:{campaign.slug}", "language:en"]


def test_a_yearly_donor_is_tagged_yearly_not_monthly(give, client, bookkeeper, campaign):
    give(updates="on", name="Yul Brand", email="yul@example.org", frequency="annual")
    client.force_login(bookkeeper)
    _header, rows = _read(client.get(MAILCHIMP_URL))
    assert rows[0][3].split(",") == ["yearly donor", f"campaign:{campaign.slug}", "language:en"]


def test_the_action_network_file_has_its_own_columns(give, client, bookkeeper, campaign):
    give(prefix="/es", updates="on", name="Zoë Peña", email="zoe@example.org")
    client.force_login(bookkeeper)
    header, rows = _read(client.get("/admin/donations/donor/supporters/?tool=action-network"))
    assert header == ACTION_NETWORK_COLUMNS
    assert header[:4] == ["email", "first_name", "last_name", "zip_code"]
    assert rows == [["zoe@example.org", "Zoë", "Peña", "", "no", campaign.slug, "es"]]


def test_only_staff_who_may_export_get_the_file(client, editor, bookkeeper, campaign):
    client.force_login(editor)
    assert client.get(MAILCHIMP_URL).status_code == 403
    client.force_login(bookkeeper)
    report = client.get("/admin/donations/gift/report/").content.decode()
    assert "/admin/donations/donor/supporters/?tool=mailchimp" in report
    assert "/admin/donations/donor/supporters/?tool=action-network" in report


def test_the_admin_action_exports_only_the_opted_in_among_the_selected(give, client, superuser):
    give(updates="on", name="Ana Peña", email="ana@example.org")
    give(name="Bob Quiet", email="bob@example.org")
    client.force_login(superuser)
    response = client.post(
        "/admin/donations/donor/",
        {
            "action": "export_supporters",
            "_selected_action": list(Donor.objects.values_list("pk", flat=True)),
        },
    )
    header, rows = _read(response)
    assert [row[0] for row in rows] == ["ana@example.org"]


# Withdrawal in one click --------------------------------------------------------------


@pytest.fixture
def subscribed(give):
    give(updates="on", name="Ana Peña", email="ana@example.org")
    return Donor.objects.get()


def test_the_link_asks_before_it_stops_anything(subscribed):
    url = supporters.unsubscribe_url(subscribed)
    response = Client().get(url)
    assert response.status_code == 200
    assert "Stop updates from OCA?" in response.content.decode()
    assert response["Referrer-Policy"] == "same-origin"
    assert supporters.is_subscribed(subscribed)  # a mail scanner's GET stops nothing


def test_one_click_from_the_page_stops_updates_without_login(subscribed):
    url = supporters.unsubscribe_url(subscribed)
    response = Client(enforce_csrf_checks=True).post(url)
    assert response.status_code == 200
    assert "You won’t receive updates from us" in response.content.decode()
    consent = UpdatesConsent.objects.get()
    assert consent.withdrawn_at is not None and consent.withdrawn_source == "link"
    assert not supporters.is_subscribed(subscribed)


def test_the_mail_programs_one_click_post_stops_updates(subscribed):
    headers = supporters.list_unsubscribe_headers(subscribed)
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = headers["List-Unsubscribe"].strip("<>")
    response = Client(enforce_csrf_checks=True).post(
        url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert UpdatesConsent.objects.get().withdrawn_source == "one_click"
    first = UpdatesConsent.objects.get().withdrawn_at
    Client().post(
        url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert UpdatesConsent.objects.get().withdrawn_at == first  # kept, not overwritten


def test_the_spanish_link_leads_to_the_spanish_page(give):
    give(prefix="/es", updates="on", email="zoe@example.org")
    donor = Donor.objects.get()
    url = supporters.unsubscribe_url(donor)
    assert "/es/give/updates/stop/" in url
    assert "¿Dejar de recibir noticias de OCA?" in Client().get(url).content.decode()


def test_a_forged_or_outdated_link_stops_nothing(subscribed):
    url = supporters.unsubscribe_url(subscribed)
    forged = url[:-4] + ("A" if url[-4] != "A" else "B") + "/"
    assert Client().post(forged).status_code == 404
    subscribed.email = "new@example.org"
    subscribed.save()
    assert Client().post(url).status_code == 404
    assert supporters.is_subscribed(subscribed)


def test_update_mail_carries_the_headers(subscribed):
    from donations import mail as donation_mail

    message = donation_mail.build(
        "manage_link",
        subscribed.email,
        "News",
        {"has_gifts": False, "name": "Ana", "url": "", "request_url": "", "minutes": 60},
        headers=supporters.list_unsubscribe_headers(subscribed),
    )
    message.send()
    sent = mail.outbox[-1].message()
    assert sent["List-Unsubscribe"].startswith("<http")
    assert sent["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_my_giving_services_give_and_withdraw(subscribed):
    supporters.withdraw_consent(subscribed, "my_giving")
    assert not supporters.is_subscribed(subscribed)
    again = supporters.give_consent(subscribed, source="/give/manage/", language="es")
    assert again.wording == "Envíenme noticias ocasionales de OCA"
    assert supporters.give_consent(subscribed, source="/give/manage/") == again
    assert UpdatesConsent.objects.count() == 2  # the withdrawn one stays on record


def test_a_replayed_payment_does_not_bring_back_a_withdrawn_consent(subscribed):
    from donations import gift_sync

    supporters.withdraw_consent(subscribed, "link")
    gift_sync.sync_gift(subscribed.gifts.get())
    assert not supporters.is_subscribed(subscribed)
    assert UpdatesConsent.objects.count() == 1


# Unsubscribes from Mailchimp ------------------------------------------------------------

UNSUB_HEADER = (
    "Email Address,First Name,Last Name,MEMBER_RATING,OPTIN_TIME,UNSUB_TIME,UNSUB_CAMPAIGN_TITLE\n"
)


def _file(*rows):
    return (UNSUB_HEADER + "".join(rows)).encode()


@pytest.fixture
def two_subscribed(give):
    give(updates="on", name="Ana Peña", email="ana@example.org")
    give(updates="on", name="Zoë Ávila", email="zoe@example.org")
    return Donor.objects.get(email="ana@example.org"), Donor.objects.get(email="zoe@example.org")


def test_the_admin_imports_mailchimps_unsubscribes(client, bookkeeper, two_subscribed, tmp_path):
    ana, zoe = two_subscribed
    upload = tmp_path / "unsubscribed.csv"
    upload.write_bytes(
        _file(
            "ANA@example.org,Ana,Peña,2,2026-01-02 10:00:00,2030-01-05 09:30:00,News\n",
            "stranger@example.org,,,1,,2026-11-20 14:03:11,News\n",
        )
    )
    client.force_login(bookkeeper)
    with upload.open("rb") as handle:
        response = client.post(
            "/admin/donations/updatesconsent/import-unsubscribes/", {"file": handle}, follow=True
        )
    assert "2 rows read: 1 people will no longer get updates" in response.content.decode()
    consent = UpdatesConsent.objects.get(donor=ana)
    assert consent.withdrawn_source == "mailchimp import"
    assert supporters.is_subscribed(zoe)


def test_a_file_with_a_bad_row_changes_nothing(client, bookkeeper, two_subscribed, tmp_path):
    upload = tmp_path / "unsubscribed.csv"
    upload.write_bytes(
        _file(
            "ana@example.org,Ana,,2,,2026-11-20 14:03:11,News\n",
            "not-an-address,,,1,,2026-11-20 14:03:11,News\n",
            "zoe@example.org,,,1,,yesterday,News\n",
        )
    )
    client.force_login(bookkeeper)
    with upload.open("rb") as handle:
        response = client.post(
            "/admin/donations/updatesconsent/import-unsubscribes/", {"file": handle}
        )
    page = response.content.decode()
    assert "Nothing was imported" in page
    assert "Row 3: “not-an-address” is not an e-mail address." in page
    assert "Row 4: “yesterday” is not a time" in page
    assert UpdatesConsent.objects.active().count() == 2


def test_a_file_that_is_no_csv_is_refused_with_a_message(
    client, bookkeeper, two_subscribed, tmp_path
):
    # A cell longer than Python's csv reader takes (128 KB): a file Mailchimp never wrote.
    upload = tmp_path / "unsubscribed.csv"
    upload.write_bytes(_file("ana@example.org,Ana,,2,,2026-11-20 14:03:11," + "x" * 200_000))
    client.force_login(bookkeeper)
    with upload.open("rb") as handle:
        response = client.post(
            "/admin/donations/updatesconsent/import-unsubscribes/", {"file": handle}
        )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing was imported" in page
    assert "The file cannot be read as CSV; export it again from Mailchimp." in page
    assert UpdatesConsent.objects.active().count() == 2


def test_an_unsubscribe_older_than_a_new_consent_leaves_it(two_subscribed, tmp_path):
    ana, _zoe = two_subscribed
    path = tmp_path / "unsubscribed.csv"
    path.write_bytes(_file("ana@example.org,Ana,,2,,2001-01-01 00:00:00,Old news\n"))
    call_command("import_mailchimp_unsubscribes", str(path), stdout=io.StringIO())
    assert supporters.is_subscribed(ana)


def test_the_command_is_all_or_nothing_and_runs_twice(two_subscribed, tmp_path):
    ana, zoe = two_subscribed
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"Email,UNSUB_TIME\nana@example.org,\n")
    with pytest.raises(CommandError):
        call_command("import_mailchimp_unsubscribes", str(bad), stderr=io.StringIO())
    good = tmp_path / "good.csv"
    good.write_bytes(_file("zoe@example.org,,,,,,\n"))
    out = io.StringIO()
    call_command("import_mailchimp_unsubscribes", str(good), stdout=out)
    assert "1 withdrawn" in out.getvalue()
    call_command("import_mailchimp_unsubscribes", str(good), stdout=out)
    assert "0 withdrawn, 1 had no consent standing" in out.getvalue()
    assert supporters.is_subscribed(ana) and not supporters.is_subscribed(zoe)


def test_an_editor_cannot_import(client, editor):
    client.force_login(editor)
    assert client.get("/admin/donations/updatesconsent/import-unsubscribes/").status_code == 403
