"""Signed links: they open only the page they were made for, for a day, and asking
for one mails the same answer for every address, a few times an hour at most."""

import re
import time

import pytest
from django.core import signing

from fundraising import links
from fundraising.models import FundraisingPage


def _link_in(message):
    return re.search(r"https?://\S+/give/fundraise/\S+/", message.body).group(0)


def test_a_link_opens_its_own_page(make_page):
    page = make_page()
    assert links.page_from_token(links.make_token(page)) == page


def test_a_link_expires_after_a_day(make_page, monkeypatch):
    page = make_page()
    day_and_a_minute_ago = time.time() - links.LINK_MAX_AGE - 60
    monkeypatch.setattr(signing.time, "time", lambda: day_and_a_minute_ago)
    token = links.make_token(page)
    monkeypatch.undo()
    with pytest.raises(links.LinkExpired):
        links.page_from_token(token)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        lambda token: token.replace(token.split(":")[0], token.split(":")[0][::-1]),
        lambda token: "not-a-token",
    ],
    ids=["signature", "payload", "garbage"],
)
def test_a_tampered_link_opens_nothing(make_page, tamper):
    token = links.make_token(make_page())
    with pytest.raises(links.LinkInvalid):
        links.page_from_token(tamper(token))


def test_a_my_giving_link_does_not_open_a_page(make_page):
    page = make_page()
    other = signing.TimestampSigner(salt="donations.monthly.manage-link").sign_object(
        {"p": page.pk, "e": links.LINKS.digest(page.email)}
    )
    with pytest.raises(links.LinkInvalid):
        links.page_from_token(other)


def test_a_link_stops_working_when_the_address_changes(make_page):
    page = make_page()
    token = links.make_token(page)
    page.email = "someone.else@example.org"
    page.save()
    with pytest.raises(links.LinkInvalid):
        links.page_from_token(token)


def test_the_edit_page_explains_an_expired_or_broken_link(client, make_page, monkeypatch):
    page = make_page()
    two_days_ago = time.time() - 2 * links.LINK_MAX_AGE
    monkeypatch.setattr(signing.time, "time", lambda: two_days_ago)
    old = links.make_token(page)
    monkeypatch.undo()
    expired = client.get(f"/give/fundraise/{old}/")
    broken = client.get("/give/fundraise/abc:def/")
    assert (expired.status_code, broken.status_code) == (410, 404)
    assert "private" in expired["Cache-Control"] and "no-store" in expired["Cache-Control"]
    assert "Rosa" not in expired.content.decode()


def test_asking_for_a_link_mails_one_that_opens_a_new_draft(client, campaign, mailoutbox):
    response = client.post(f"/campaigns/{campaign.slug}/raise/", {"email": "Lee@Example.org"})
    assert response.status_code == 200
    assert "Check your e-mail" in response.content.decode()
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["Lee@Example.org"]
    page = FundraisingPage.objects.get()
    assert (page.status, page.email) == ("draft", "Lee@Example.org")
    edit = client.get(_link_in(mailoutbox[0]))
    assert edit.status_code == 200
    assert "Your fundraising page" in edit.content.decode()


def test_asking_again_sends_a_link_to_the_same_page(client, campaign, make_page, mailoutbox):
    page = make_page()
    client.post(f"/campaigns/{campaign.slug}/raise/", {"email": "ROSA@example.org"})
    assert FundraisingPage.objects.count() == 1
    response = client.get(_link_in(mailoutbox[0]))
    assert response.context["page"] == page


def test_the_link_goes_to_the_page_s_address_not_a_lookalike_typed(
    client, campaign, make_page, mailoutbox
):
    # "\u0131" is the dotless i: upper-cased it is "I", so the typed address finds
    # ian's page case-insensitively, yet it is another mailbox.
    make_page(email="ian@example.org", slug="ian")
    client.post(f"/campaigns/{campaign.slug}/raise/", {"email": "\u0131an@example.org"})
    assert FundraisingPage.objects.count() == 1
    [message] = mailoutbox
    assert message.to == ["ian@example.org"]


def test_one_address_gets_at_most_three_links_an_hour(client, campaign, mailoutbox, settings):
    settings.PLEDGE_RATE_LIMIT = "100/h"
    for _ in range(5):
        response = client.post(f"/campaigns/{campaign.slug}/raise/", {"email": "lee@example.org"})
        assert response.status_code == 200  # the same answer every time
    assert len(mailoutbox) == 3


def test_a_bad_address_is_explained_and_sends_nothing(client, campaign, mailoutbox):
    response = client.post(f"/campaigns/{campaign.slug}/raise/", {"email": "not an address"})
    assert response.status_code == 400
    assert "name@example.org" in response.content.decode()
    assert not mailoutbox and not FundraisingPage.objects.exists()


def test_the_campaign_page_offers_to_raise_money(client, campaign):
    html = client.get(campaign.get_absolute_url()).content.decode()
    assert f'href="/campaigns/{campaign.slug}/raise/"' in html
    assert "Raise money for this campaign" in html
