"""Whole journeys in a real browser: a monthly donor who cancels through the e-mailed link,
a phone donor who gives with the keyboard alone, and an editor who rewrites a section."""

import re

from django.core import mail
from django.core.cache import cache
from django.urls import reverse
from playwright.sync_api import expect

from campaigns.demo import SECTIONS
from donations.models import Gift, MonthlyGift
from tests.quality import assert_no_axe_violations, assert_valid_html

MANAGE_LINK = re.compile(r"https?://\S+/give/manage/[^/\s]+/")


def _check_quality(page):
    assert_no_axe_violations(page)
    assert_valid_html(page.content())


def _delivered(standin, event_type):
    return [
        event
        for event in standin.events
        if event["type"] == event_type and event["delivery"]["delivered"]
    ]


def _manage_link(live_server):
    """The link in the one e-mail sent since the outbox was last emptied; empties it."""
    assert [m.to for m in mail.outbox] == [["ana@example.org"]]
    links = MANAGE_LINK.findall(mail.outbox[0].body)
    assert len(links) == 1, mail.outbox[0].body
    assert links[0].startswith(live_server.url + "/give/manage/")
    mail.outbox.clear()
    return links[0]


def test_a_monthly_donor_cancels_through_the_link_in_the_e_mail(
    live_server, campaign, standin, page
):
    page.goto(live_server.url + campaign.get_absolute_url())
    form = page.locator("#donation-form")
    form.get_by_label("$50").check()
    form.get_by_label("Monthly").check()
    form.get_by_label("Your name").fill("Ana Lopez")
    form.get_by_label("E-mail").fill("ana@example.org")
    form.get_by_role("button", name="Give $50 monthly", exact=True).click()
    page.wait_for_url(standin.url + "/checkout/**")
    page.locator("#pay").click()
    page.wait_for_url(re.compile(r"/give/thanks/\?session_id=cs_"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Thank you, Ana — your $50 monthly gift is confirmed"
    )
    assert MonthlyGift.objects.get().status == MonthlyGift.Status.ACTIVE

    # Later, the donor asks for a manage link, starting from the thank-you page.
    page.get_by_role("main").get_by_role("link", name="Manage my giving").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Manage my giving")
    mail.outbox.clear()  # the receipt
    page.get_by_label("The e-mail address you gave with").fill("ana@example.org")
    page.get_by_role("button", name="E-mail me a link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your e-mail")

    link = _manage_link(live_server)

    # A link cut short (as some mail programs do) explains itself and offers a new one.
    page.goto(link[:-8] + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("This link doesn’t work")
    _check_quality(page)
    page.get_by_label("The e-mail address you gave with").fill("ana@example.org")
    page.get_by_role("button", name="E-mail me a link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your e-mail")
    link = _manage_link(live_server)

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("My giving, Ana")
    gift = page.locator(".monthly-gift")
    expect(gift).to_have_count(1)
    expect(gift.get_by_role("heading", level=3)).to_have_text(f"$50/month to “{campaign.title}”")
    expect(gift).to_contain_text("Status: Active")
    _check_quality(page)

    # Stripe's portal (the stand-in's): the subscription, with a button to cancel it.
    with page.expect_request(standin.url + "/portal/**") as portal_request:
        page.get_by_role("button", name="Update card or cancel").click()
    page.wait_for_url(standin.url + "/portal/**")
    # The signed link never leaves the site in a Referer.
    assert "/give/manage/" not in portal_request.value.all_headers().get("referer", "")
    expect(page.get_by_role("listitem")).to_have_text(re.compile(r"\$50\.00 / month · active"))
    page.get_by_role("button", name="Cancel subscription").click()
    expect(page.locator("#confirmation")).to_have_text(
        "Your subscription has been canceled. No further payments will be taken."
    )
    expect(page.get_by_role("button", name="Cancel subscription")).to_have_count(0)

    # The portal sent the donor back only after the site had been told.
    assert len(_delivered(standin, "customer.subscription.deleted")) == 1
    monthly = MonthlyGift.objects.get()
    assert monthly.status == MonthlyGift.Status.CANCELED
    assert monthly.canceled_at is not None
    assert Gift.objects.get().monthly_gift == monthly  # the first month stays booked

    page.get_by_role("link", name="Return to site").click()
    page.wait_for_url(live_server.url + "/give/manage/**")
    expect(page.get_by_role("heading", level=1)).to_have_text("My giving, Ana")
    # The first month's receipt stays on the page, and the cancellation was confirmed.
    expect(page.locator(".gift-row")).to_have_count(1)
    assert [m.subject for m in mail.outbox] == ["Your monthly gift is canceled"]
    expect(page.locator(".monthly-gift")).to_have_count(0)
    expect(page.get_by_role("button", name="Update card or cancel")).to_have_count(0)


def _expect_focus_on(locator):
    """The element has the keyboard focus, on screen and with a visible focus ring."""
    expect(locator).to_be_focused()
    expect(locator).to_be_in_viewport()
    expect(locator).not_to_have_css("outline-style", "none")


def _press(page, key, then_focused):
    page.keyboard.press(key)
    _expect_focus_on(then_focused)


def test_a_phone_donor_gives_with_the_keyboard_alone(live_server, campaign, standin, mobile_page):
    page = mobile_page
    page.goto(live_server.url + campaign.get_absolute_url())
    form = page.locator("#donation-form")

    # The header: the skip link, the logo, the language, "Give now" (to the form).
    _press(page, "Tab", page.get_by_role("link", name="Skip to content"))
    _press(page, "Tab", page.get_by_role("link", name="Open Communities Alliance"))
    _press(page, "Tab", page.get_by_role("link", name="Español"))
    _press(page, "Tab", page.get_by_role("link", name="Give now"))
    # Skipping to the content leads to the form as well: nothing to tab through
    # between the short intro and the first amount.
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    _expect_focus_on(page.get_by_role("link", name="Skip to content"))
    page.keyboard.press("Enter")
    page.wait_for_url("**#main")

    # The amounts are one radio group: Tab enters it at the preset chosen for the
    # donor, the arrow keys move within it. Choosing "Other" moves on to its field.
    _press(page, "Tab", form.get_by_label("$50"))
    for amount in ("$100", "$250"):
        _press(page, "ArrowRight", form.get_by_label(amount))
    page.keyboard.press("ArrowRight")
    expect(form.get_by_label("Other", exact=True)).to_be_checked()
    other = form.get_by_label("Other amount, in dollars")
    _expect_focus_on(other)
    page.keyboard.type("35")

    _press(page, "Tab", form.get_by_label("One time"))
    # How to pay: a small gift starts on the card.
    _press(page, "Tab", form.get_by_label("Card or wallet"))
    cover_fee = form.get_by_label(re.compile("to cover the processing fee"))
    _press(page, "Tab", cover_fee)
    expect(page.locator("#fee-amount")).to_have_text("$1.10")
    page.keyboard.press("Space")
    expect(cover_fee).to_be_checked()
    _press(page, "Tab", form.get_by_label("Your name"))
    page.keyboard.type("Dee Ray")
    _press(page, "Tab", form.get_by_label("E-mail"))
    page.keyboard.type("dee@example.org")
    _press(page, "Tab", form.get_by_label("My first name only"))
    _press(page, "Tab", form.get_by_label("A public message (optional)"))
    page.keyboard.type("For fair housing.")
    # The tribute section stays closed: Tab passes its summary only.
    _press(page, "Tab", form.get_by_text("Give in honor or in memory of someone"))
    updates = form.get_by_label("Send me occasional updates from OCA")
    _press(page, "Tab", updates)
    expect(updates).not_to_be_checked()  # opt-in: unticked until the donor ticks it
    page.keyboard.press("Space")
    expect(updates).to_be_checked()
    # The honeypot field is skipped: it is out of the tab order.
    submit = form.locator("#donate-submit")
    _press(page, "Tab", submit)
    expect(submit).to_have_text("Give $36.10 now")
    # Back once and forth again: Shift+Tab retraces the same order.
    _press(page, "Shift+Tab", updates)
    _press(page, "Tab", submit)
    page.keyboard.press("Enter")

    page.wait_for_url(standin.url + "/checkout/**")
    expect(page.locator("#amount")).to_have_text("$36.10")
    _press(page, "Tab", page.get_by_label("Name on card"))
    _press(page, "Tab", page.get_by_role("button", name="Pay", exact=True))
    page.keyboard.press("Enter")

    page.wait_for_url(re.compile(r"/give/thanks/\?session_id=cs_"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Thank you, Dee — your $36.10 gift is confirmed"
    )
    gift = Gift.objects.get()
    assert (gift.amount_cents, gift.frequency) == (3610, "once")
    assert gift.donor.email == "dee@example.org"
    assert gift.public_message == "For fair housing."
    consent = gift.donor.consents.get()  # given with the payment, in the words shown
    assert (consent.wording, consent.language) == ("Send me occasional updates from OCA", "en")


def test_an_editor_rewrites_a_section_and_the_public_page_shows_it(
    live_server, campaign, editor, page, mobile_page
):
    cache.clear()  # pages cached by earlier tests
    old_heading, old_body = SECTIONS[2]
    new_heading = "You can help us defend fair housing in Connecticut"
    new_body = "Write to your state legislators about **fair-share zoning** this spring."
    public_url = live_server.url + campaign.get_absolute_url()

    # A visitor reads the page before the change.
    visitor = mobile_page
    visitor.goto(public_url)
    expect(visitor.get_by_role("heading", name=old_heading)).to_be_visible()

    page.goto(live_server.url + reverse("admin:campaigns_campaign_change", args=[campaign.pk]))
    page.get_by_label("Username").fill("edna")
    page.get_by_label("Password").fill("pw-edna-123")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Change campaign")).to_be_visible()

    section = page.locator(".inline-related").filter(
        has=page.locator(f'input[name$="-heading"][value="{old_heading}"]')
    )
    expect(section).to_have_count(1)
    section.get_by_label("Heading:", exact=True).fill(new_heading)
    section.get_by_label("Text:", exact=True).fill(new_body)
    page.get_by_role("button", name="Save", exact=True).first.click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    visitor.reload()
    heading = visitor.get_by_role("heading", name=new_heading)
    expect(heading).to_be_visible()
    item = visitor.locator(".help-sections > li").filter(has=heading)
    expect(item.locator("strong")).to_have_text("fair-share zoning")
    expect(item).to_contain_text("Write to your state legislators about fair-share zoning")
    expect(visitor.get_by_role("heading", name=old_heading)).to_have_count(0)
    expect(visitor.get_by_text(old_body[:40])).to_have_count(0)
    # The other sections are untouched, in their order.
    expect(visitor.locator(".help-sections > li h3")).to_have_text(
        [SECTIONS[0][0], SECTIONS[1][0], new_heading, SECTIONS[3][0], SECTIONS[4][0]]
    )
