import datetime

import pytest
from django.urls import reverse

from campaigns.models import Campaign


def _change_form_data(campaign, **overrides):
    """The POST body of the campaign change form, as the admin page would send it."""
    fields = [
        "title", "slug", "summary", "letter", "help_heading", "closing",
        "preset_amounts", "other_ways_to_give", "tax_statement", "goal_kind",
        "goal_target", "share_title", "share_description",
        "hero_image_alt", "hero_image_alt_es", "impact_cues", "impact_cues_es",
    ]  # fmt: skip
    data = {name: getattr(campaign, name) for name in fields}
    offers = ("offers_once", "offers_monthly", "offers_annual")
    data |= {name: "on" for name in offers if getattr(campaign, name)}
    data["default_frequency"] = campaign.default_frequency
    data["starts_on"] = campaign.starts_on.isoformat()
    data["ends_on"] = campaign.ends_on.isoformat() if campaign.ends_on else ""
    if campaign.is_published:
        data["is_published"] = "on"
    sections = list(campaign.sections.all())
    data |= {
        "sections-TOTAL_FORMS": str(len(sections)),
        "sections-INITIAL_FORMS": str(len(sections)),
        "sections-MIN_NUM_FORMS": "0",
        "sections-MAX_NUM_FORMS": "1000",
    }
    matches = list(campaign.matches.all())
    data |= {
        "matches-TOTAL_FORMS": str(len(matches)),
        "matches-INITIAL_FORMS": str(len(matches)),
        "matches-MIN_NUM_FORMS": "0",
        "matches-MAX_NUM_FORMS": "1000",
    }
    for i, match in enumerate(matches):
        data |= {
            f"matches-{i}-id": str(match.pk),
            f"matches-{i}-campaign": str(campaign.pk),
            f"matches-{i}-sponsor": match.sponsor,
            f"matches-{i}-ratio": str(match.ratio),
            f"matches-{i}-cap_dollars": str(match.cap_dollars),
            f"matches-{i}-starts_on": match.starts_on.isoformat(),
            f"matches-{i}-ends_on": match.ends_on.isoformat(),
        }
    for i, section in enumerate(sections):
        data |= {
            f"sections-{i}-id": str(section.pk),
            f"sections-{i}-campaign": str(campaign.pk),
            f"sections-{i}-position": str(section.position),
            f"sections-{i}-heading": section.heading,
            f"sections-{i}-body": section.body,
        }
    data |= overrides
    return data


def _change_url(campaign):
    return reverse("admin:campaigns_campaign_change", args=[campaign.pk])


def test_it_lets_an_editor_change_a_section_heading(client, campaign, editor):
    client.force_login(editor)
    response = client.post(
        _change_url(campaign),
        _change_form_data(campaign, **{"sections-1-heading": "Zoning reform, now"}),
    )
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    html = client.get("/").content.decode()
    assert "Zoning reform, now" in html


def test_it_lets_an_editor_reorder_sections(client, campaign, editor):
    client.force_login(editor)
    first, second = campaign.sections.all()[:2]
    client.post(
        _change_url(campaign),
        _change_form_data(campaign, **{"sections-0-position": "9"}),
    )
    html = client.get("/").content.decode()
    assert html.index(second.heading) < html.index(first.heading)


def test_it_refuses_an_end_date_before_the_start(client, campaign, editor):
    ends_on = campaign.ends_on
    client.force_login(editor)
    response = client.post(
        _change_url(campaign),
        _change_form_data(campaign, starts_on="2026-05-01", ends_on="2026-04-01"),
    )
    assert response.status_code == 200
    assert "The end date must be after the start date." in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.ends_on == ends_on


@pytest.mark.parametrize("target", ["0", "-5"])
def test_it_refuses_a_target_that_is_not_positive(client, campaign, editor, target):
    client.force_login(editor)
    response = client.post(_change_url(campaign), _change_form_data(campaign, goal_target=target))
    assert response.status_code == 200
    html = response.content.decode()
    assert "greater than" in html or "greater than or equal to 0" in html


def test_it_refuses_a_duplicate_slug(client, campaign, make_campaign, editor):
    other = make_campaign(slug="spring")
    client.force_login(editor)
    response = client.post(_change_url(other), _change_form_data(other, slug=campaign.slug))
    assert "Another campaign already uses this slug." in response.content.decode()


def test_it_refuses_malformed_preset_amounts(client, campaign, editor):
    client.force_login(editor)
    response = client.post(
        _change_url(campaign), _change_form_data(campaign, preset_amounts="25,abc")
    )
    assert "Enter whole dollar amounts separated by commas" in response.content.decode()


def test_it_refuses_the_same_preset_amount_twice(client, campaign, editor):
    """Two buttons saying "$50" on the donation form, both pre-checked when $50 is the
    amount asked for, and the same impact cue beside each."""
    client.force_login(editor)
    response = client.post(
        _change_url(campaign), _change_form_data(campaign, preset_amounts="25,50,100,250,050")
    )
    assert response.status_code == 200
    assert "Each amount can appear only once: $50 is there twice." in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.preset_amounts == "25,50,100,250"


def test_it_offers_view_on_site_that_previews_a_draft(client, make_campaign, editor):
    draft = make_campaign(is_published=False, title="Draft to preview")
    client.force_login(editor)
    page = client.get(_change_url(draft)).content.decode()
    assert "View on site" in page
    response = client.get(
        reverse("admin:view_on_site", args=[draft._meta.app_label and _ct(draft), draft.pk]),
        follow=True,
    )
    assert response.status_code == 200
    assert "Draft to preview" in response.content.decode()


def _ct(obj):
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(obj).pk


def test_it_lists_campaigns_with_status_and_dates_and_searches(
    client, campaign, make_campaign, editor
):
    make_campaign(title="Winter drive", slug="winter", starts_on=datetime.date(2025, 12, 1))
    client.force_login(editor)
    page = client.get(reverse("admin:campaigns_campaign_changelist") + "?q=winter")
    html = page.content.decode()
    assert "Winter drive" in html
    assert "Help us take our mission" not in html


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:auth_user_changelist",
        "admin:auth_group_changelist",
        "admin:django_tasks_database_dbtaskresult_changelist",
    ],
)
def test_it_refuses_an_editor_every_non_campaign_admin_page(client, editor, url_name):
    client.force_login(editor)
    assert client.get(reverse(url_name)).status_code == 403


def test_it_shows_an_editor_only_the_campaigns_app(client, editor):
    client.force_login(editor)
    html = client.get(reverse("admin:index")).content.decode()
    assert "Campaigns" in html
    assert "Users" not in html
    assert "Groups" not in html


def test_it_keeps_editors_out_of_every_other_model(editor):
    from django.apps import apps

    # Besides the campaigns, Editors review supporters' pages: view and change only.
    reviewed = {
        ("fundraising", "fundraisingpage", "view"),
        ("fundraising", "fundraisingpage", "change"),
    }
    for model in apps.get_models():
        if model._meta.app_label == "campaigns":
            continue
        opts = model._meta
        for action in ("view", "add", "change", "delete"):
            if (opts.app_label, opts.model_name, action) in reviewed:
                continue
            assert not editor.has_perm(f"{opts.app_label}.{action}_{opts.model_name}"), model


def test_it_saves_a_new_campaign_with_prepopulated_slug_field(client, editor):
    client.force_login(editor)
    html = client.get(reverse("admin:campaigns_campaign_add")).content.decode()
    assert (
        "prepopulated_fields" in html
        or "data-prepopulated-fields" in html
        or "prepopulated" in html
    )
    assert Campaign.objects.count() == 0


# Spanish beside English ---------------------------------------------------------------


@pytest.fixture
def _language_reset():
    """The test client leaves the language of the last page asked for (/es/...) active
    in this thread; the next test would read its messages in Spanish."""
    from django.utils import translation

    yield
    translation.deactivate()


def _with_spanish(campaign, data, **overrides):
    """`data` plus the Spanish fields as the change form holds them."""
    data = data | {
        f"{name}_es": getattr(campaign, f"{name}_es") for name in Campaign.TRANSLATED_FIELDS
    }
    for i, section in enumerate(campaign.sections.all()):
        data |= {
            f"sections-{i}-heading_es": section.heading_es,
            f"sections-{i}-body_es": section.body_es,
        }
    return data | overrides


def test_it_puts_each_spanish_field_right_after_its_english(client, campaign, editor):
    client.force_login(editor)
    html = client.get(_change_url(campaign)).content.decode()
    order = [
        "title", "title_es", "slug", "summary", "summary_es", "letter", "letter_es",
        "help_heading", "help_heading_es", "closing", "closing_es", "tax_statement",
        "tax_statement_es", "other_ways_to_give", "other_ways_to_give_es", "share_title",
        "share_title_es", "share_description", "share_description_es",
        "sections-0-heading", "sections-0-heading_es", "sections-0-body", "sections-0-body_es",
    ]  # fmt: skip
    positions = [html.index(f'name="{name}"') for name in order]
    assert positions == sorted(positions)
    assert "Title (Spanish)" in html


@pytest.mark.usefixtures("_language_reset")
def test_it_shows_a_spanish_edit_on_es_and_not_on_the_english_page(client, campaign, editor):
    client.force_login(editor)
    response = client.post(
        _change_url(campaign),
        _with_spanish(
            campaign,
            _change_form_data(campaign),
            title_es="Nuestra campaña de invierno",
            **{"sections-0-body_es": "Un texto *nuevo* en español."},
        ),
    )
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    client.logout()
    spanish = client.get("/es/").content.decode()
    assert "<h1>Nuestra campaña de invierno</h1>" in spanish
    assert "Un texto <em>nuevo</em> en español." in spanish
    english = client.get("/").content.decode()
    assert "Nuestra campaña de invierno" not in english
    assert "Un texto" not in english


def test_it_keeps_the_spanish_an_editor_left_untouched(client, campaign, editor):
    client.force_login(editor)
    client.post(
        _change_url(campaign),
        _with_spanish(campaign, _change_form_data(campaign), title="Help us, again"),
    )
    campaign.refresh_from_db()
    assert campaign.title == "Help us, again"
    assert campaign.title_es == "Ayúdenos a llevar nuestra misión al siguiente nivel"


@pytest.mark.usefixtures("_language_reset")
def test_it_links_an_editor_to_the_spanish_preview_of_a_draft(client, make_campaign, editor):
    draft = make_campaign(is_published=False, title="Winter draft", title_es="Borrador de invierno")
    client.force_login(editor)
    html = client.get(_change_url(draft)).content.decode()
    assert f'<a href="/es/campaigns/{draft.slug}/" hreflang="es">Spanish</a>' in html
    assert f'<a href="/campaigns/{draft.slug}/" hreflang="en">English</a>' in html
    preview = client.get(f"/es/campaigns/{draft.slug}/").content.decode()
    assert "<h1>Borrador de invierno</h1>" in preview
