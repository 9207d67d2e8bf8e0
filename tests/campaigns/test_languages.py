"""English at /, Spanish under /es/: the address alone decides the language of a page,
every page links to itself in the other language, and a campaign's own copy comes in
the page's language, falling back to English field by field."""

import datetime
import importlib
import re

import pytest
from django.apps import apps
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone, translation

from campaigns import demo, demo_es, feed
from campaigns.models import Campaign, FeedItem

MIGRATION = importlib.import_module("campaigns.migrations.0006_spanish_copy")


@pytest.fixture(autouse=True)
def _language_reset():
    """The test client leaves the language of the last page asked for active in this
    thread (LocaleMiddleware activates, nothing deactivates); the next test would
    validate a form in Spanish."""
    yield
    translation.deactivate()


def _html(response):
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _html_lang(html):
    return re.search(r'<html lang="([^"]+)">', html).group(1)


def _switch(html):
    """The language switch's links: [(href, lang, hreflang, text)]."""
    nav = re.search(r'<nav class="language-switch"[^>]*>(.*?)</nav>', html, re.S)
    assert nav, "no language switch"
    return re.findall(
        r'<a href="([^"]*)" lang="([^"]*)" hreflang="([^"]*)">([^<]*)</a>', nav.group(1)
    )


def _alternates(html):
    return dict(re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', html))


# Addresses --------------------------------------------------------------------------


def test_it_serves_english_at_the_root_whatever_the_browser_prefers(client, campaign, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9")
    html = _html(response)  # 200: no redirect to /es/
    assert _html_lang(html) == "en"
    assert f"<h1>{demo.CAMPAIGN_FIELDS['title']}</h1>" in html
    assert demo_es.TITLE not in html


def test_it_serves_spanish_under_es(client, campaign):
    html = _html(client.get("/es/", HTTP_ACCEPT_LANGUAGE="en"))
    assert _html_lang(html) == "es"
    assert f"<h1>{demo_es.TITLE}</h1>" in html


def test_it_serves_a_campaign_and_its_feed_in_spanish(client, campaign):
    page = _html(client.get(f"/es/campaigns/{campaign.slug}/"))
    assert _html_lang(page) == "es"
    assert f"<h1>{demo_es.TITLE}</h1>" in page
    feed_page = _html(client.get(f"/es/campaigns/{campaign.slug}/feed/"))
    assert _html_lang(feed_page) == "es"
    assert demo_es.TITLE in feed_page


@pytest.mark.parametrize("path", ["/fr/", "/fr/campaigns/oca-2017-appeal/", "/en/", "/es/es/"])
def test_it_answers_404_for_a_language_it_does_not_have(client, campaign, path):
    assert client.get(path).status_code == 404


def test_it_makes_the_same_page_for_every_visitor_of_an_address(client, campaign, settings):
    pages = []
    for cookie, accept in [(None, ""), ("en", "en-US"), ("es", "es")]:
        cache.clear()  # render each afresh: the page cache would hide a difference
        client.cookies.clear()
        if cookie:
            client.cookies[settings.LANGUAGE_COOKIE_NAME] = cookie
        pages.append(_html(client.get("/es/", HTTP_ACCEPT_LANGUAGE=accept)))
    assert pages[0] == pages[1] == pages[2]


@pytest.mark.parametrize("path", ["/stripe/webhook/", "/healthz", "/robots.txt", "/admin/"])
def test_it_keeps_one_address_for_what_has_no_language(client, db, path):
    assert client.get("/es" + path).status_code == 404
    assert client.get(path).status_code != 404


def test_it_names_the_webhook_and_the_donor_pages_as_before(db):
    with translation.override("es"):
        assert reverse("stripe-webhook") == "/stripe/webhook/"
        assert reverse("donations:pledge", args=["spring"]) == "/es/give/spring/"
        assert reverse("donations:thank-you") == "/es/give/thanks/"
    assert reverse("donations:pledge", args=["spring"]) == "/give/spring/"
    assert reverse("campaigns:feed", args=["spring"]) == "/campaigns/spring/feed/"


def test_it_keeps_crawlers_off_the_spanish_donor_pages_too(client, db):
    robots = client.get("/robots.txt").content.decode()
    assert "Disallow: /give/\n" in robots
    assert "Disallow: /es/give/\n" in robots


# The language switch and hreflang ---------------------------------------------------


def test_it_links_the_root_to_its_spanish_and_back(client, campaign, settings):
    settings.SITE_URL = "https://give.example.org"
    english = _html(client.get("/"))
    assert _switch(english) == [("/es/", "es", "es", "Español")]
    assert _alternates(english) == {
        "en": "https://give.example.org/",
        "es": "https://give.example.org/es/",
        "x-default": "https://give.example.org/",
    }
    spanish = _html(client.get("/es/"))
    assert _switch(spanish) == [("/", "en", "en", "English")]
    assert _alternates(spanish) == _alternates(english)


@pytest.mark.parametrize("page", ["", "feed/"])
def test_it_links_a_campaign_page_to_itself_in_the_other_language(client, campaign, page):
    path = f"/campaigns/{campaign.slug}/{page}"
    assert _switch(_html(client.get(path))) == [("/es" + path, "es", "es", "Español")]
    assert _switch(_html(client.get("/es" + path))) == [(path, "en", "en", "English")]
    assert _alternates(_html(client.get(path)))["es"] == f"http://127.0.0.1:8000/es{path}"


def test_it_keeps_the_feed_cursor_when_switching(client, campaign):
    _publish(campaign, feed.PAGE_SIZE + 3)
    first = _html(client.get(f"/es/campaigns/{campaign.slug}/feed/"))
    more = re.search(r'<p class="feed-more" data-feed-more><a [^>]*href="([^"]+)"', first).group(1)
    assert more.startswith(f"/es/campaigns/{campaign.slug}/feed/after/")
    second = _html(client.get(more.replace("&amp;", "&")))
    [(href, *_)] = _switch(second)
    assert href == more.removeprefix("/es")


def test_it_links_the_thank_you_page_to_its_spanish(client, campaign, stripe_standin):
    gift = {
        "amount": "50",
        "frequency": "once",
        "name": "Ana Lopez",
        "email": "ana@example.org",
        "display_as": "first",
        "website": "",
    }
    response = client.post(f"/give/{campaign.slug}/", gift)
    assert response.status_code == 303, response.content.decode()[:300]
    session_id = response["Location"].rsplit("/", 1)[-1]
    stripe_standin.pay(session_id)
    html = _html(client.get("/give/thanks/", {"session_id": session_id}))
    assert _switch(html) == [(f"/es/give/thanks/?session_id={session_id}", "es", "es", "Español")]


def test_it_sends_the_switch_of_a_refused_form_to_the_campaign_page(client, campaign):
    response = client.post(f"/es/give/{campaign.slug}/", {"amount": "", "email": "nope"})
    assert response.status_code == 400
    html = response.content.decode()
    assert _switch(html) == [(f"/campaigns/{campaign.slug}/", "en", "en", "English")]


def test_it_keeps_the_language_in_the_pages_own_links(client, campaign):
    html = _html(client.get("/es/"))
    assert '<a class="site-name" href="/es/">' in html
    assert f'href="/es/give/share/facebook/?campaign={campaign.slug}"' in html
    assert f'action="/es/give/{campaign.slug}/#give"' in html


# The campaign's copy ----------------------------------------------------------------


def test_it_shows_the_demo_in_spanish_from_letter_to_tax_notice(client, campaign):
    html = _html(client.get("/es/"))
    for heading, _body in demo_es.SECTIONS:
        assert f">{heading}</a></h3>" in html
    for english, _body in demo.SECTIONS:
        assert english not in html
    assert "<strong>¡Necesitamos su ayuda!</strong>" in html  # Markdown, in Spanish too
    assert "<em>Un programa del pasado:</em>" in html
    assert demo_es.TAX_STATEMENT in html
    assert f'<h2 id="help-heading">{demo_es.HELP_HEADING}</h2>' in html
    assert 'lang="en"' not in html.split('<main id="main">')[1]  # nothing fell back
    assert f'<meta property="og:title" content="{demo_es.SHARE_TITLE}">' in html


def test_it_gives_spanish_sections_their_own_anchors(client, campaign):
    html = _html(client.get("/es/"))
    assert '<li id="usted-puede-ayudarnos-a-ser-la-voz-de-miles-de-familias">' in html


def test_it_falls_back_to_the_whole_english_field_marked_english(client, make_campaign):
    campaign = make_campaign(
        title="Spring appeal",
        title_es="Campaña de primavera",
        summary="Give to fair housing this spring.",
        letter="Please give. **Now**.",
        sections=1,
    )
    campaign.sections.update(heading_es="", body_es="Texto en español")
    html = _html(client.get(f"/es/campaigns/{campaign.slug}/"))
    assert "<h1>Campaña de primavera</h1>" in html
    assert '<p class="summary" lang="en">Give to fair housing this spring.</p>' in html
    assert '<div class="prose" lang="en"><p>Please give. <strong>Now</strong>.</p></div>' in html
    assert '<h3 lang="en"><a class="anchor" href="#way-0">Way 0</a></h3>' in html
    assert '<div class="prose"><p>Texto en español</p></div>' in html
    # Donors never see the editors' badge.
    assert "copy-fallback" not in html
    # The English page marks nothing.
    english = _html(client.get(f"/campaigns/{campaign.slug}/"))
    assert 'lang="en"' not in english.split('<main id="main">')[1]


def test_it_prefers_any_spanish_to_english_for_link_previews(client, make_campaign):
    campaign = make_campaign(title_es="Campaña de primavera", share_title="Support spring")
    html = _html(client.get(f"/es/campaigns/{campaign.slug}/"))
    assert '<meta property="og:title" content="Campaña de primavera">' in html


def test_it_marks_an_english_title_inside_a_spanish_sentence(client, make_campaign):
    campaign = make_campaign(title="Spring appeal")
    html = _html(client.get(f"/es/campaigns/{campaign.slug}/feed/"))
    assert '<h1 id="feed-heading">' in html
    heading = html.split('<h1 id="feed-heading">')[1].split("</h1>")[0]
    assert '<span lang="en">Spring appeal</span>' in heading


def test_it_shows_staff_what_is_still_english(client, make_campaign, editor):
    campaign = make_campaign(title_es="Campaña de primavera", summary="Give this spring.")
    client.force_login(editor)
    with translation.override("es"):
        badge = translation.gettext("English — no Spanish yet")
    html = _html(client.get(f"/es/campaigns/{campaign.slug}/"))
    # The letter, the summary, the tax statement, the section-less heading...: each
    # English stand-in is marked, the Spanish title is not.
    assert (
        f'<p class="summary" lang="en">Give this spring. <span class="copy-fallback" lang="es">{badge}</span></p>'
        in html
    )
    assert "<h1>Campaña de primavera</h1>" in html
    assert html.count('class="copy-fallback"') == 3  # summary, letter, tax statement
    feed_page = _html(client.get(f"/es/campaigns/{campaign.slug}/feed/"))
    assert "copy-fallback" not in feed_page  # its title is Spanish
    # Nothing is missing on the English page.
    assert "copy-fallback" not in _html(client.get(f"/campaigns/{campaign.slug}/"))


def test_it_keeps_the_badge_from_a_visitor_with_a_session_who_is_not_staff(
    client, make_campaign, stranger
):
    campaign = make_campaign(title_es="")
    client.force_login(stranger)
    assert "copy-fallback" not in _html(client.get(f"/es/campaigns/{campaign.slug}/"))


def test_it_does_not_load_the_session_of_an_anonymous_visitor(client, make_campaign):
    # A public page's headers are the same for everyone: no Vary: Cookie.
    campaign = make_campaign()
    response = client.get(f"/es/campaigns/{campaign.slug}/")
    assert "Cookie" not in response.get("Vary", "")


def test_it_lets_staff_preview_a_draft_in_spanish(client, make_campaign, editor):
    draft = make_campaign(is_published=False, title_es="Borrador de primavera")
    assert client.get(f"/es/campaigns/{draft.slug}/").status_code == 404
    client.force_login(editor)
    html = _html(client.get(draft.get_absolute_url(language="es")))
    assert "<h1>Borrador de primavera</h1>" in html


def test_it_gives_the_demo_spanish_for_all_five_sections(campaign):
    sections = list(campaign.sections.all())
    assert len(sections) == 5
    assert [(s.heading_es, s.body_es) for s in sections] == demo_es.SECTIONS
    for name, text in demo_es.CAMPAIGN_FIELDS_ES.items():
        assert getattr(campaign, f"{name}_es") == text


def test_it_loads_the_demo_once(campaign):
    campaign.title_es = "Editado por el personal"
    campaign.save()
    again, created = demo.load_demo_campaign()
    assert not created
    assert again.title_es == "Editado por el personal"
    assert again.sections.count() == 5


def test_the_migration_translates_only_what_is_still_the_demos_english(campaign):
    rewritten = campaign.sections.get(position=2)
    rewritten.heading = "Our new second section"
    rewritten.save()
    Campaign.objects.update(
        letter="A letter staff rewrote.",
        **{f"{name}_es": "" for name in demo_es.CAMPAIGN_FIELDS_ES},
    )
    campaign.sections.update(heading_es="", body_es="")

    MIGRATION.add_demo_spanish(apps, None)

    campaign.refresh_from_db()
    assert campaign.title_es == demo_es.TITLE
    assert campaign.letter_es == ""  # its English is not the demo's any more
    sections = {s.position: s for s in campaign.sections.all()}
    assert sections[1].heading_es == demo_es.SECTIONS[0][0]
    assert sections[2].heading_es == ""
    assert sections[2].body_es == demo_es.SECTIONS[1][1]


# The feed ---------------------------------------------------------------------------


def _publish(campaign, n, *, message_at=None):
    """n items, one second apart, the last one newest; item `message_at` has a message."""
    start = timezone.now() - datetime.timedelta(days=1)
    for i in range(n):
        feed.publish(
            campaign_id=campaign.pk,
            key=f"lang:{i}",
            kind=FeedItem.Kind.MONTHLY if i % 2 else FeedItem.Kind.DONATED,
            display_name=f"Ana {i}",
            message="Thank you, OCA!" if i == message_at else "",
            occurred_at=start + datetime.timedelta(seconds=i),
        )


def test_it_writes_the_feed_in_the_pages_language(client, campaign):
    # Three pages: the fragment after the first has a "Show more" of its own.
    _publish(campaign, 2 * feed.PAGE_SIZE + 3, message_at=10)
    with translation.override("es"):
        monthly = translation.gettext("started a monthly donation")
        show_more = translation.gettext("Show more")
    page = feed.page(campaign.pk)
    html = _html(client.get(f"/es/campaigns/{campaign.slug}/feed/after/{page.next_cursor}/items/"))
    assert f"</span> {monthly} <time" in html
    assert "Thank you, OCA!" in html  # a donor's message, as written
    more = re.search(
        r'<p class="feed-more" data-feed-more><a [^>]*href="([^"]+)" data-items-url="([^"]+)">'
        r"([^<]+)</a>",
        html,
    )
    assert more.group(1).startswith(f"/es/campaigns/{campaign.slug}/feed/after/")
    assert more.group(2) == more.group(1) + "items/"
    assert more.group(3) == show_more
