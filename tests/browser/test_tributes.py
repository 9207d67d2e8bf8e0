"""A tribute gift in a real browser: the donor opens the section, gives in memory of
someone with a notice, pays on the stand-in's checkout page; the notice arrives once,
without the amount, and the feed says whom the gift remembers."""

import re
import time

from django.core import mail
from playwright.sync_api import expect

from donations.models import Gift, TributeNotice
from tests.quality import assert_no_axe_violations, assert_valid_html


def _check_quality(page):
    assert_no_axe_violations(page)
    assert_valid_html(page.content())


def _notices(to):
    return [message for message in mail.outbox if message.to == [to]]


def _wait_for(condition, seconds=10):
    """The webhook and the mail task run on the live server's threads: wait for them."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_a_donor_gives_in_memory_of_someone_and_tells_her_brother(
    live_server, campaign, standin, page
):
    url = live_server.url + campaign.get_absolute_url()
    assert page.goto(url).status == 200
    form = page.locator("#donation-form")
    section = form.locator("details.tribute")
    # Closed at first: nothing of it is filled by mistake.
    expect(section).not_to_have_attribute("open", "")
    expect(form.get_by_label("Name of the person honored")).to_be_hidden()

    form.get_by_label("$50").check()
    form.get_by_label("Your name").fill("Ana Lopez")
    form.get_by_label("E-mail").fill("ana@example.org")
    form.get_by_label("Anonymous").check()
    form.get_by_text("Give in honor or in memory of someone").click()
    expect(section).to_have_attribute("open", "")
    _check_quality(page)

    # A notice without the honoree's name is refused, with the section still open.
    form.get_by_label("In memory of").check()
    form.get_by_label("Name of the person to tell").fill("Luis Martinez")
    form.get_by_label("Send the notice to").fill("luis@example.org")
    form.get_by_role("button", name="Give $50 now", exact=True).click()
    expect(page.locator("#error-summary")).to_contain_text(
        "Enter the name of the person your gift honors."
    )
    form = page.locator("#donation-form")
    expect(form.locator("details.tribute")).to_have_attribute("open", "")
    _check_quality(page)

    form.get_by_label("Name of the person honored").fill("Rosa Martinez")
    form.get_by_label("A message for them (optional)").fill("She taught us all to stay.")
    expect(form.get_by_label("Include the amount in the notice")).not_to_be_checked()
    form.get_by_role("button", name="Give $50 now", exact=True).click()

    page.wait_for_url(standin.url + "/checkout/**")
    page.locator("#pay").click()
    page.wait_for_url(re.compile(r"/give/thanks/\?session_id=cs_"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("is confirmed")
    expect(page.locator(".thank-you-tribute")).to_have_text(
        "In memory of Rosa Martinez. We’ll let Luis Martinez know by e-mail once your payment "
        "is confirmed."
    )

    _wait_for(lambda: _notices("luis@example.org"))
    gift = Gift.objects.get()
    assert (gift.tribute_kind, gift.tribute_name, gift.counted) == ("memory", "Rosa Martinez", True)
    [notice] = _notices("luis@example.org")
    assert notice.subject == "A gift in memory of Rosa Martinez"
    for text in (notice.body, notice.alternatives[0].content):
        assert "Ana Lopez made a gift to Open Communities Alliance in memory of Rosa Martinez." in (
            text
        )
        assert "She taught us all to stay." in text
        assert "$50" not in text and "50.00" not in text

    # The receipt names her too; the feed says whom the gift remembers, not who gave.
    _wait_for(lambda: _notices("ana@example.org"))
    [receipt] = _notices("ana@example.org")
    assert "In memory of Rosa Martinez" in receipt.body
    page.goto(url)
    expect(page.locator(".feed-line").first).to_contain_text(
        "Someone donated in memory of Rosa Martinez"
    )
    _check_quality(page)

    # Events that arrive late send nothing more.
    time.sleep(1)
    assert len(_notices("luis@example.org")) == 1
    assert TributeNotice.objects.get().sent_at is not None
