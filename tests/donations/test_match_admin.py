"""Matches in the admin: set on the campaign's page with clear refusals, and the
sponsor's report (page and CSV) that names only the donors who chose to be named."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, Match
from donations.models import Donor
from tests.campaigns.test_admin import _change_form_data, _change_url

SPONSOR = "Hartford Foundation"


def _with_matches(campaign, *rows):
    """The campaign's change form with `rows` as new matches (dicts of typed values)."""
    data = _change_form_data(campaign)
    data["matches-TOTAL_FORMS"] = str(int(data["matches-TOTAL_FORMS"]) + len(rows))
    start = int(data["matches-INITIAL_FORMS"])
    for i, row in enumerate(rows, start=start):
        typed = {"sponsor": SPONSOR, "ratio": "1", "cap_dollars": "5000"} | row
        typed = {"starts_on": "", "ends_on": "", "note": "", "note_es": ""} | typed
        data |= {f"matches-{i}-{name}": value for name, value in typed.items()}
        data[f"matches-{i}-campaign"] = str(campaign.pk)
    return data


def _errors(response):
    assert response.status_code == 200, "the form was saved"
    return response.content.decode()


def test_an_editor_sets_a_match_whose_dates_default_to_the_campaigns(client, campaign, editor):
    client.force_login(editor)
    response = client.post(_change_url(campaign), _with_matches(campaign, {"ratio": "2"}))
    assert response.status_code == 302
    match = Match.objects.get()
    assert (match.starts_on, match.ends_on) == (campaign.starts_on, campaign.ends_on)
    assert (match.ratio, match.cap_cents, match.sponsor) == (2, 500000, SPONSOR)
    # The change form shows it again, with what it has matched.
    html = client.get(_change_url(campaign)).content.decode()
    assert "$0 of $5,000" in html


def _day(campaign, days):
    return (campaign.starts_on + datetime.timedelta(days=days)).isoformat()


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            {"starts_on": "S+5", "ends_on": "S+4"},
            "The match must end on or after the day it starts.",
        ),
        ({"starts_on": "S-1"}, "The match cannot start before the campaign does"),
        ({"ends_on": "E+1"}, "The match cannot end after the campaign does"),
        ({"cap_dollars": "0"}, "The cap must be greater than zero."),
        ({"sponsor": ""}, "This field is required."),
    ],
)
def test_it_refuses_a_match_that_does_not_fit(client, campaign, editor, row, message):
    client.force_login(editor)
    resolved = {}
    for name, value in row.items():
        if value.startswith("S"):
            value = _day(campaign, int(value[1:]))
        elif value.startswith("E"):
            value = (campaign.ends_on + datetime.timedelta(days=int(value[1:]))).isoformat()
        resolved[name] = value
    response = client.post(_change_url(campaign), _with_matches(campaign, resolved))
    assert message in _errors(response)
    assert not Match.objects.exists()


def test_it_refuses_two_matches_that_share_a_day(client, campaign, editor):
    client.force_login(editor)
    data = _with_matches(
        campaign,
        {"ends_on": _day(campaign, 10)},
        {"sponsor": "Second sponsor", "starts_on": _day(campaign, 10)},
    )
    html = _errors(client.post(_change_url(campaign), data))
    assert f"The matches from {SPONSOR} and Second sponsor share days." in html
    assert not Match.objects.exists()

    data = _with_matches(
        campaign,
        {"ends_on": _day(campaign, 10)},
        {"sponsor": "Second sponsor", "starts_on": _day(campaign, 11)},
    )
    assert client.post(_change_url(campaign), data).status_code == 302
    assert Match.objects.count() == 2


def test_a_campaign_without_an_end_needs_a_match_end(client, make_campaign, editor):
    campaign = make_campaign(ends_on=None)
    client.force_login(editor)
    html = _errors(client.post(_change_url(campaign), _with_matches(campaign, {})))
    assert "The campaign has no end date: give the match one." in html


def test_a_match_ending_in_the_last_year_a_date_can_hold_is_refused(client, make_campaign, editor):
    # "Never ends", typed as 9999-12-31: its gifts are counted up to the next day.
    campaign = make_campaign(ends_on=None)
    client.force_login(editor)
    html = _errors(
        client.post(_change_url(campaign), _with_matches(campaign, {"ends_on": "9999-12-31"}))
    )
    assert "The match must end before the year 9999." in html
    assert not Match.objects.exists()


# The sponsor's report -------------------------------------------------------------


@pytest.fixture
def matched_gifts(campaign, online_gift, log_check):
    """A 2:1 match of up to $500 and its gifts: one named in full, one by first name,
    one anonymous, one not listed, one refunded in full, one after the cap."""
    match = Match.objects.create(
        campaign=campaign,
        sponsor=SPONSOR,
        ratio=Match.Ratio.TWO,
        cap_dollars=500,
        starts_on=campaign.starts_on,
        ends_on=campaign.ends_on,
    )
    now = timezone.now()

    def person(name, email):
        return Donor.objects.create(name=name, email=email)

    online_gift(
        donor=person("Rosa Parks", "rosa@example.org"),
        display_as="full",
        amount_cents=5000,
        given_at=now - datetime.timedelta(hours=5),
    )
    online_gift(
        donor=person("Luis Ortega", "luis@example.org"),
        display_as="first",
        amount_cents=10000,
        given_at=now - datetime.timedelta(hours=4),
    )
    online_gift(
        donor=person("Mara Quiet", "mara@example.org"),
        display_as="anonymous",
        amount_cents=2500,
        given_at=now - datetime.timedelta(hours=3),
    )
    online_gift(
        donor=person("Pat Private", "pat@example.org"),
        display_as="private",
        amount_cents=7500,
        given_at=now - datetime.timedelta(hours=2),
    )
    online_gift(
        donor=person("Rex Refunded", "rex@example.org"),
        display_as="full",
        amount_cents=9000,
        refunded_cents=9000,
        given_at=now - datetime.timedelta(hours=1, minutes=30),
    )
    online_gift(
        donor=person("Zoe Late", "zoe@example.org"),
        display_as="full",
        amount_cents=2000,
        given_at=now - datetime.timedelta(hours=1),
    )
    return match


def test_the_sponsors_report_lists_the_gifts_without_private_details(
    bookkeeper_client, matched_gifts
):
    url = reverse("admin:donations_gift_match_report", args=[matched_gifts.pk])
    html = bookkeeper_client.get(url).content.decode()
    # 2 × ($50 + $100 + $25 + $75 + $20) = $540, capped at $500.
    assert '<dd id="match-total">$500.00</dd>' in html
    assert '<dd id="match-cap">$500.00</dd>' in html
    assert '<dd id="match-remaining">$0.00</dd>' in html
    assert '<dd id="match-gifts">5</dd>' in html
    assert "Rosa Parks" in html
    assert "Luis" in html and "Ortega" not in html
    assert html.count("<td>Anonymous</td>") == 2
    for hidden in ("Mara", "Pat Private", "Rex", "@example.org"):
        assert hidden not in html, hidden


def test_the_sponsors_csv_adds_up_to_the_total(bookkeeper_client, matched_gifts):
    url = reverse("admin:donations_gift_match_csv", args=[matched_gifts.pk])
    response = bookkeeper_client.get(url)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "@" not in text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["date", "donor", "given", "matched"]
    assert [row[1:] for row in rows[1:]] == [
        ["Rosa Parks", "50.00", "100.00"],
        ["Luis", "100.00", "200.00"],
        ["Anonymous", "25.00", "50.00"],
        ["Anonymous", "75.00", "150.00"],
        ["Zoe Late", "20.00", "0.00"],  # after the cap: listed, not matched
    ]
    assert sum(float(row[3]) for row in rows[1:]) == 500
    # Local dates, as the sponsor's books keep them (no time, no time zone).
    first_day = timezone.localtime(timezone.now() - datetime.timedelta(hours=5)).date()
    assert rows[1][0] == first_day.isoformat()


def test_editors_cannot_open_the_sponsors_report(client, editor, matched_gifts):
    client.force_login(editor)
    for name in ("admin:donations_gift_match_report", "admin:donations_gift_match_csv"):
        assert client.get(reverse(name, args=[matched_gifts.pk])).status_code == 403


def test_the_campaign_page_links_the_sponsors_report_only_for_who_may_open_it(
    client, editor, superuser, matched_gifts
):
    campaign = matched_gifts.campaign
    report = reverse("admin:donations_gift_match_report", args=[matched_gifts.pk])
    client.force_login(editor)
    html = client.get(_change_url(campaign)).content.decode()
    assert "$500 of $500" in html  # the figures, without a link that would answer 403
    assert report not in html
    client.force_login(superuser)
    assert report in client.get(_change_url(campaign)).content.decode()


def test_the_gift_report_has_a_line_for_the_match(bookkeeper_client, matched_gifts):
    html = bookkeeper_client.get(reverse("admin:donations_gift_report")).content.decode()
    assert (
        f"Match from {SPONSOR} ({matched_gifts.campaign.title}): $500.00 matched of $500.00" in html
    )
    assert reverse("admin:donations_gift_match_report", args=[matched_gifts.pk]) in html


def test_the_match_never_adds_to_the_campaigns_own_total(matched_gifts):
    campaign = Campaign.objects.get(pk=matched_gifts.campaign_id)
    assert campaign.raised_cents == 5000 + 10000 + 2500 + 7500 + 2000


def test_a_new_campaign_and_its_match_are_saved_together(client, campaign, editor):
    client.force_login(editor)
    data = _with_matches(campaign, {}) | {
        "title": "Giving Tuesday",
        "slug": "giving-tuesday",
        "starts_on": "2026-12-01",
        "ends_on": "2026-12-02",
        "sections-TOTAL_FORMS": "0",
        "sections-INITIAL_FORMS": "0",
        "matches-0-campaign": "",  # no campaign yet
    }
    response = client.post(reverse("admin:campaigns_campaign_add"), data)
    assert response.status_code == 302, response.context["errors"]
    match = Match.objects.get()
    assert match.campaign.slug == "giving-tuesday"
    # The dates typed in the same form, not any saved before.
    assert (match.starts_on, match.ends_on) == (
        datetime.date(2026, 12, 1),
        datetime.date(2026, 12, 2),
    )
