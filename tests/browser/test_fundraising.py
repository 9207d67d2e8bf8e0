"""A supporter's own page, end to end: the link asked for on the campaign page and read
from the outbox, the page written with a photo, unseen by the public until staff
approve it in the admin, then a donor gives through it on the Stripe stand-in, and the
page's meter and feed, the campaign's feed ("via Rosa's page") and the report credit it."""

import re
import urllib.error
import urllib.request

from django.core import mail
from PIL import Image
from playwright.sync_api import expect

from donations.models import Gift
from fundraising.models import FundraisingPage
from tests.quality import assert_no_axe_violations, assert_valid_html

PAGE_LINK = re.compile(r"https?://\S+/give/fundraise/[^/\s]+/")


def _status(url):
    try:
        with urllib.request.urlopen(url) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _check_quality(page):
    assert_no_axe_violations(page)
    assert_valid_html(page.content())


def _photo(tmp_path):
    path = tmp_path / "rosa.jpg"
    Image.new("RGB", (120, 90), (30, 120, 90)).save(path, "JPEG")
    return path


def test_a_supporter_raises_money_through_an_approved_page(
    live_server, campaign, standin, page, superuser, tmp_path
):
    site = live_server.url
    # The supporter asks for a link from the campaign page.
    page.goto(site + campaign.get_absolute_url())
    page.get_by_role("link", name="Raise money for this campaign").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Raise money for this campaign")
    _check_quality(page)
    page.get_by_label("Your e-mail address").fill("rosa@example.org")
    page.get_by_role("button", name="E-mail me a link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your e-mail")
    [message] = mail.outbox
    assert message.to == ["rosa@example.org"]
    [link] = PAGE_LINK.findall(message.body)
    mail.outbox.clear()

    # ... and writes the page, with a photo.
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your fundraising page")
    _check_quality(page)
    page.get_by_label("Your name, as the page shows it").fill("Rosa")
    page.get_by_label("Why you support this campaign").fill(
        "My family waited years for a fair chance at housing.\n\nHelp me help others."
    )
    page.get_by_label("A photo (optional)").set_input_files(str(_photo(tmp_path)))
    page.get_by_label("What the photo shows, for people who can’t see it").fill(
        "Rosa in front of her building"
    )
    page.get_by_label("Dollars raised").check()
    page.get_by_label("Your goal", exact=True).fill("300")
    page.get_by_role("button", name="Send my page for approval").click()
    expect(page.get_by_role("status")).to_have_text("Your page is saved.")
    expect(page.locator(".page-status")).to_contain_text("Waiting for approval")
    fundraiser = FundraisingPage.objects.get()
    public_url = site + fundraiser.get_absolute_url()
    assert _status(public_url) == 404  # the public can't see it yet

    # Its owner sees a preview.
    page.get_by_role("link", name="See your page as it will look").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rosa raises money")
    expect(page.get_by_role("img", name="Rosa in front of her building")).to_be_visible()

    # Staff approve it in the admin.
    page.goto(f"{site}/admin/login/?next=/admin/")
    page.fill("#id_username", "root")
    page.fill("#id_password", "pw-root-123")
    page.click("input[type=submit]")
    expect(page).to_have_url(f"{site}/admin/")
    page.goto(f"{site}/admin/fundraising/fundraisingpage/")
    page.get_by_role("link", name="Waiting for approval").click()
    page.locator("input[name=_selected_action]").first.check()
    page.locator("select[name=action]").select_option("approve_pages")
    page.get_by_role("button", name=re.compile("^(Go|Run)")).click()
    expect(page.locator(".messagelist")).to_contain_text("1 page approved")
    [approved] = mail.outbox
    assert fundraiser.get_absolute_url() in approved.body
    page.context.clear_cookies()
    assert _status(public_url) == 200

    # A donor gives through it.
    page.goto(public_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Rosa raises money")
    expect(page.locator(".goal-figures")).to_have_text("$0 raised of $300")
    _check_quality(page)
    form = page.locator("#donation-form")
    form.get_by_label("$50").check()
    form.get_by_label("One time").check()
    form.get_by_label("Your name").fill("Ana Lopez")
    form.get_by_label("E-mail").fill("ana@example.org")
    form.get_by_label("My first name only").check()
    form.get_by_role("button", name=re.compile(r"^Give \$50")).click()
    page.wait_for_url(standin.url + "/checkout/**")
    page.locator("#pay").click()
    page.wait_for_url(re.compile(r"/give/thanks/\?session_id=cs_"))
    gift = Gift.objects.get()
    assert gift.fundraiser == fundraiser and gift.counted

    # The page's meter and feed count it; nothing shows the amount of the gift alone or
    # an address.
    page.context.clear_cookies()
    page.goto(public_url)
    expect(page.locator(".goal-figures")).to_have_text("$50 raised of $300")
    expect(page.locator(".feed-item")).to_have_count(1)
    expect(page.locator(".feed-item")).to_contain_text("Ana donated")
    assert "@example.org" not in page.content()
    _check_quality(page)

    # The campaign's feed says through whose page.
    page.goto(site + campaign.get_absolute_url())
    expect(page.locator(".feed-item").first).to_contain_text("Ana donated via Rosa’s page")

    # And so does the report of money raised per supporter.
    page.goto(f"{site}/admin/login/?next=/admin/")
    page.fill("#id_username", "root")
    page.fill("#id_password", "pw-root-123")
    page.click("input[type=submit]")
    expect(page).to_have_url(f"{site}/admin/")
    page.goto(f"{site}/admin/fundraising/fundraisingpage/")
    page.get_by_role("link", name="Money raised per supporter").click()
    row = page.locator("#raised-per-supporter tbody tr").first
    expect(row).to_contain_text("Rosa")
    expect(row.locator(".raised")).to_have_text("$50.00")
