"""The donate button other sites frame (campaigns.embed): framable by the configured
origins only, every other page by none; the snippets editors copy; the form it opens."""

import datetime
import re

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client
from django.utils import timezone

from campaigns import embed
from campaigns.checks import check_embed_allowed_origins

MAIN_SITE = "https://www.ctoca.org"


def _frame_ancestors(response):
    policy = response["Content-Security-Policy"]
    (directive,) = [d.strip() for d in policy.split(";") if d.strip().startswith("frame-ancestors")]
    return directive.split()[1:]


def _cache_control(response):
    return {part.strip() for part in response.get("Cache-Control", "").split(",")}


@pytest.fixture
def allowed(settings):
    settings.EMBED_ALLOWED_ORIGINS = [MAIN_SITE, "https://ctoca.org"]
    settings.SITE_URL = "https://give.ctoca.org"
    return settings.EMBED_ALLOWED_ORIGINS


def test_it_lets_only_the_configured_origins_frame_the_button(client, make_campaign, allowed):
    campaign = make_campaign()
    response = client.get(f"/campaigns/{campaign.slug}/embed/")
    assert response.status_code == 200
    assert _frame_ancestors(response) == ["'self'", MAIN_SITE, "https://ctoca.org"]
    assert "X-Frame-Options" not in response
    # The rest of the policy is the site's own.
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "default-src 'self'" in response["Content-Security-Policy"]


@pytest.mark.parametrize("path", ["/campaigns/spring/", "/campaigns/spring/feed/", "/give/manage/"])
def test_every_other_page_may_be_framed_by_no_site(client, make_campaign, allowed, path):
    make_campaign()
    response = client.get(path)
    assert response.status_code == 200
    assert _frame_ancestors(response) == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"


def test_without_origins_the_button_may_be_framed_by_no_site(client, make_campaign, settings):
    settings.EMBED_ALLOWED_ORIGINS = []
    campaign = make_campaign()
    response = client.get(f"/campaigns/{campaign.slug}/embed/50/monthly/")
    assert response.status_code == 200
    assert _frame_ancestors(response) == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"


def test_the_button_is_a_public_page_kept_with_its_policy(client, make_campaign, allowed):
    campaign = make_campaign()
    url = f"/campaigns/{campaign.slug}/embed/50/once/"
    first = client.get(url)
    second = Client().get(url)
    assert "public" in _cache_control(first)
    assert first.content == second.content
    # The copy from the page cache keeps the header that lets the main site frame it.
    assert _frame_ancestors(second) == ["'self'", MAIN_SITE, "https://ctoca.org"]
    assert "X-Frame-Options" not in second


def test_the_button_opens_the_form_with_the_amount_in_a_new_tab(client, make_campaign, allowed):
    campaign = make_campaign()
    html = client.get(f"/campaigns/{campaign.slug}/embed/75/monthly/").content.decode()
    link = re.search(r'<a class="give" href="([^"]+)" target="_blank" rel="noopener">', html)
    assert link is not None
    url = link.group(1).replace("&amp;", "&")
    assert url == "https://give.ctoca.org/campaigns/spring/?amount=75&frequency=monthly#give"
    assert "Give $75 monthly" in html
    # The page the link opens has its form preset so.
    form = client.get(url.removeprefix("https://give.ctoca.org").split("#")[0]).content.decode()
    assert re.search(r'name="other_amount"[^>]*value="75"', form)
    assert re.search(r'value="monthly"[^>]*checked', form)


def test_a_yearly_button_opens_the_form_with_yearly_chosen(client, make_campaign, allowed):
    campaign = make_campaign(offers_annual=True)
    html = client.get(f"/campaigns/{campaign.slug}/embed/120/annual/").content.decode()
    assert "Give $120 yearly" in html
    form = client.get(f"/campaigns/{campaign.slug}/", {"amount": "120", "frequency": "annual"})
    assert re.search(r'value="annual"[^>]*checked', form.content.decode())


def test_the_spanish_button_opens_the_spanish_form(client, make_campaign, allowed):
    campaign = make_campaign()
    html = client.get(f"/es/campaigns/{campaign.slug}/embed/50/once/").content.decode()
    assert '<html lang="es">' in html
    assert "Donar $50 ahora" in html
    assert (
        'href="https://give.ctoca.org/es/campaigns/spring/?amount=50&amp;frequency=once#give"'
        in html
    )


def test_an_english_title_on_the_spanish_button_is_marked_english(client, make_campaign, allowed):
    # Screen readers name the framed button by its heading: read in English, not
    # with Spanish pronunciation, while the title has no Spanish yet.
    campaign = make_campaign(title="Spring appeal")
    html = client.get(f"/es/campaigns/{campaign.slug}/embed/").content.decode()
    assert '<h1 class="visually-hidden" id="embed-title" lang="en">Spring appeal</h1>' in html
    campaign.title_es = "Campaña de primavera"
    campaign.save()
    html = client.get(f"/es/campaigns/{campaign.slug}/embed/").content.decode()
    assert '<h1 class="visually-hidden" id="embed-title">Campaña de primavera</h1>' in html


def test_the_plain_button_shows_the_goal(client, make_campaign, allowed):
    campaign = make_campaign(goal_target=100, donor_count=37)
    html = client.get(f"/campaigns/{campaign.slug}/embed/").content.decode()
    assert "Give now" in html
    assert "<strong>37</strong> of 100 donors" in html
    assert 'href="https://give.ctoca.org/campaigns/spring/#give"' in html


@pytest.mark.parametrize(
    "path",
    [
        "/campaigns/spring/embed/1/once/",  # below the form's minimum
        "/campaigns/spring/embed/100000/once/",  # above its maximum
        "/campaigns/spring/embed/50/weekly/",
        "/campaigns/spring/embed/50/",
        "/campaigns/nowhere/embed/",
    ],
)
def test_an_address_the_form_would_refuse_is_not_found(client, make_campaign, allowed, path):
    make_campaign()
    assert client.get(path).status_code == 404


def test_a_frequency_the_campaign_does_not_offer_is_not_found(client, make_campaign, allowed):
    # The form would open with another frequency chosen than the button promised.
    make_campaign(offers_monthly=False, offers_annual=False, default_frequency="once")
    assert client.get("/campaigns/spring/embed/50/monthly/").status_code == 404
    assert client.get("/campaigns/spring/embed/50/annual/").status_code == 404
    assert client.get("/campaigns/spring/embed/50/once/").status_code == 200


def test_an_ended_or_unopened_appeal_says_so_instead_of_a_button(client, make_campaign, allowed):
    today = timezone.localdate()
    campaign = make_campaign(
        starts_on=today - datetime.timedelta(days=30), ends_on=today - datetime.timedelta(days=1)
    )
    html = client.get(f"/campaigns/{campaign.slug}/embed/50/once/").content.decode()
    assert "This appeal has ended, so it no longer takes gifts online." in html
    assert 'class="give"' not in html and "Give $50" not in html
    spanish = client.get(f"/es/campaigns/{campaign.slug}/embed/").content.decode()
    assert "Esta campaña terminó y ya no recibe donaciones en línea." in spanish
    campaign.starts_on = today + datetime.timedelta(days=2)
    campaign.ends_on = today + datetime.timedelta(days=9)
    campaign.save()
    html = client.get(f"/campaigns/{campaign.slug}/embed/").content.decode()
    assert "Online giving for this appeal opens on" in html
    assert 'class="give"' not in html


def test_a_draft_has_no_public_button(client, make_campaign, allowed):
    make_campaign(is_published=False)
    assert client.get("/campaigns/spring/embed/").status_code == 404


def test_the_snippets_hold_the_button_and_the_link(make_campaign, allowed):
    campaign = make_campaign()
    snippets = embed.snippets(campaign, language="es", amount=40, frequency="monthly")
    assert snippets["iframe"] == (
        '<iframe src="https://give.ctoca.org/es/campaigns/spring/embed/40/monthly/" '
        'title="Donar a Open Communities Alliance" width="340" height="120" loading="lazy" '
        'style="border:0;max-width:100%"></iframe>'
    )
    link = snippets["link"]
    assert link.startswith(
        '<a href="https://give.ctoca.org/es/campaigns/spring/?amount=40&amp;frequency=monthly#give" '
        'target="_blank" rel="noopener" style="'
    )
    assert link.endswith(">Donar $40 al mes</a>")


@pytest.mark.parametrize(
    ("origin", "words"),
    [
        ("http://www.ctoca.org", "https://"),
        ("https://www.ctoca.org/", "no path"),
        ("https://www.ctoca.org/donate", "no path"),
        ("www.ctoca.org", "not an origin"),
        ("https://*.ctoca.org", "not an origin"),
        ("https://www.ctoca.org; script-src *", "not an origin"),
        ("https://www.ctoca.org:70000", "port"),
    ],
)
def test_an_invalid_origin_is_refused_with_a_clear_message(settings, origin, words):
    settings.EMBED_ALLOWED_ORIGINS = [MAIN_SITE, origin]
    (error,) = check_embed_allowed_origins(None)
    assert error.id == "campaigns.E001"
    assert repr(origin) in error.msg
    assert words in error.msg
    # Nor is it written into the page's policy meanwhile.
    assert embed.allowed_origins() == [MAIN_SITE]


def test_manage_py_check_stops_on_an_invalid_origin(settings):
    settings.EMBED_ALLOWED_ORIGINS = ["ctoca.org"]
    with pytest.raises(SystemCheckError, match="campaigns.E001"):
        call_command("check")


@pytest.mark.parametrize(
    "origin", ["https://www.ctoca.org", "https://ctoca.org:8443", "http://localhost:8000"]
)
def test_a_valid_origin_passes_the_check(settings, origin):
    settings.EMBED_ALLOWED_ORIGINS = [origin]
    assert check_embed_allowed_origins(None) == []


def test_the_setting_is_read_from_the_environment_and_checked_at_startup():
    """As an operator writes it, spaces after the commas included; a wrong one stops
    `manage.py check` (and so a deploy) with the origin named."""
    from tests.test_site import PRODUCTION_ENV, _manage

    good = "https://www.ctoca.org, https://ctoca.org"
    shown = _manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.EMBED_ALLOWED_ORIGINS)",
        env_overrides=PRODUCTION_ENV | {"EMBED_ALLOWED_ORIGINS": good},
    )
    assert shown.stdout.strip().splitlines()[-1] == "['https://www.ctoca.org', 'https://ctoca.org']"
    checked = _manage(
        "check", env_overrides=PRODUCTION_ENV | {"EMBED_ALLOWED_ORIGINS": good + ",ctoca.org"}
    )
    assert checked.returncode != 0
    assert "campaigns.E001" in checked.stderr
    assert "'ctoca.org'" in checked.stderr
