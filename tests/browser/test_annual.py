"""A yearly gift in a real browser: chosen on the form, paid on the stand-in's
Checkout, thanked for, shown in the feed and on "My giving" with its next charge a year
later; and the confirmation line a pre-selected yearly gift needs."""

import re

from django.core import mail
from playwright.sync_api import expect

from campaigns.formatting import format_date
from campaigns.models import FeedItem
from donations.models import Gift, MonthlyGift
from tests.quality import assert_no_axe_violations, assert_valid_html

MANAGE_LINK = re.compile(r"https?://\S+/give/manage/[^/\s]+/")


def _check_quality(page):
    assert_no_axe_violations(page)
    assert_valid_html(page.content())


def test_a_donor_gives_yearly_and_sees_it_a_year_ahead(live_server, campaign, standin, page):
    page.goto(live_server.url + campaign.get_absolute_url())
    form = page.locator("#donation-form")
    form.get_by_label("$50").check()
    form.get_by_label("Yearly").check()
    expect(form.locator('[data-per="annual"]').first).to_be_visible()
    expect(form.locator('[data-per="monthly"]').first).to_be_hidden()
    # Chosen by the donor from a one-time default: no box to tick.
    expect(form.get_by_label(re.compile("until I cancel"))).to_have_count(0)
    form.get_by_label("Your name").fill("Ana Lopez")
    form.get_by_label("E-mail").fill("ana@example.org")
    form.get_by_role("button", name="Give $50 yearly", exact=True).click()
    page.wait_for_url(standin.url + "/checkout/**")
    expect(page.locator("body")).to_contain_text("/ year")
    page.locator("#pay").click()
    page.wait_for_url(re.compile(r"/give/thanks/\?session_id=cs_"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Thank you, Ana — your $50 yearly gift is confirmed"
    )
    _check_quality(page)

    recurring = MonthlyGift.objects.get()
    assert (recurring.interval, recurring.amount_cents) == ("year", 5000)
    gift = Gift.objects.get()
    assert (gift.frequency, gift.starts_monthly) == ("annual", True)
    a_year_later = recurring.started_at.replace(year=recurring.started_at.year + 1)
    assert abs((recurring.next_charge_at - a_year_later).total_seconds()) < 3600

    # The feed says what started.
    (item,) = FeedItem.objects.all()
    assert item.kind == FeedItem.Kind.ANNUAL
    page.goto(live_server.url + campaign.get_absolute_url())
    expect(page.locator(".feed-line").first).to_contain_text("Ana started a yearly donation")

    # "My giving": the amount per year and the next charge a year later.
    mail.outbox.clear()  # the receipt
    page.goto(live_server.url + "/give/manage/")
    page.get_by_label("The e-mail address you gave with").fill("ana@example.org")
    page.get_by_role("button", name="E-mail me a link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your e-mail")
    (link,) = MANAGE_LINK.findall(mail.outbox[0].body)
    page.goto(link)
    plan = page.locator(".monthly-gift")
    expect(plan.get_by_role("heading", level=3)).to_have_text(f"$50/year to “{campaign.title}”")
    expect(plan).to_contain_text(f"Next charge: {format_date(recurring.next_charge_at)}.")
    expect(plan.get_by_label("New yearly amount, in dollars")).to_be_visible()
    expect(page.locator(".gift-row")).to_contain_text("(yearly gift)")
    _check_quality(page)


def test_a_preselected_yearly_gift_is_confirmed_in_so_many_words(
    live_server, campaign, standin, page
):
    campaign.default_frequency = "annual"
    campaign.save()
    page.goto(live_server.url + campaign.get_absolute_url())
    form = page.locator("#donation-form")
    box = form.locator("#id_confirm_recurring")
    label = form.locator("#confirm-recurring-label")
    expect(label).to_have_text("Yes, charge $50 every year until I cancel.")
    box.check()
    form.get_by_label("$100").check()
    expect(label).to_have_text("Yes, charge $100 every year until I cancel.")
    # The tick agreed to $50 a year: the new amount asks for it again.
    expect(box).not_to_be_checked()
    form.get_by_label("Monthly").check()
    expect(label).to_have_text("Yes, charge $100 every month until I cancel.")
    # One time needs no confirmation: the box goes away, and comes back with yearly.
    form.get_by_label("One time").check()
    expect(box).to_be_hidden()
    form.get_by_label("Yearly").check()
    expect(box).to_be_visible()
    _check_quality(page)

    form.get_by_label("Your name").fill("Ana Lopez")
    form.get_by_label("E-mail").fill("ana@example.org")
    form.get_by_role("button", name="Give $100 yearly", exact=True).click()
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("Tick the box to confirm that your gift repeats")
    _check_quality(page)

    form.locator("#id_confirm_recurring").check()
    form.get_by_role("button", name="Give $100 yearly", exact=True).click()
    page.wait_for_url(standin.url + "/checkout/**")
    expect(page.locator("body")).to_contain_text("/ year")
