"""The campaign admin as staff use it: plain wording, previews of unsaved edits, and
duplicating a campaign."""

import pytest
from django.urls import reverse

from campaigns.models import Campaign, FeedItem
from tests.campaigns.test_admin import _change_form_data, _change_url


def _preview_url(campaign):
    return reverse("admin:campaigns_campaign_preview", args=[campaign.pk])


# Wording --------------------------------------------------------------------------------


def test_it_says_whose_admin_it_is(client, editor):
    client.force_login(editor)
    html = client.get(reverse("admin:index")).content.decode()
    assert "<title>Open Communities Alliance — staff | Open Communities Alliance — staff" in html
    assert "Django administration" not in html and "Site administration" not in html


def test_it_shows_the_real_address_pattern_under_the_slug(client, campaign, editor, settings):
    client.force_login(editor)
    html = client.get(_change_url(campaign)).content.decode()
    assert f"The page will be at {settings.SITE_URL}/campaigns/&lt;slug&gt;/." in html
    assert "/campaigns//" not in html


def test_it_titles_lists_with_what_they_list(client, campaign, editor):
    client.force_login(editor)
    html = client.get(reverse("admin:campaigns_campaign_changelist")).content.decode()
    assert "<h1>Campaigns</h1>" in html
    assert "Select campaign to change" not in html


def test_it_gives_long_titles_a_wide_input(client, campaign, editor):
    client.force_login(editor)
    html = client.get(_change_url(campaign)).content.decode()
    assert (
        'class="vTextField wide-input"'
        in html.split('name="title"')[0][-200:] + (html.split('name="title"')[1][:200])
    )


# Preview --------------------------------------------------------------------------------


def test_a_preview_shows_unsaved_edits_and_changes_nothing(client, campaign, editor):
    before = client.get("/")
    assert before.status_code == 200 and "Help us take our mission" in before.content.decode()
    etag = before["ETag"]
    sections_before = list(campaign.sections.values_list("heading", flat=True))
    updated_before = Campaign.objects.get(pk=campaign.pk).updated_at

    client.force_login(editor)
    response = client.post(
        _preview_url(campaign),
        _change_form_data(
            campaign,
            title="A brand-new title nobody may see yet",
            **{"sections-0-heading": "A rewritten first section", "sections-0-position": "9"},
        ),
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "A brand-new title nobody may see yet" in html
    assert "Preview — not published." in html
    # The rewritten section moved last, as its new position says.
    assert html.index(sections_before[1]) < html.index("A rewritten first section")
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-store" in response["Cache-Control"]
    fresh = Campaign.objects.get(pk=campaign.pk)
    assert fresh.title == "Help us take our mission to the next level"
    assert fresh.updated_at == updated_before
    assert list(fresh.sections.values_list("heading", flat=True)) == sections_before

    client.logout()
    after = client.get("/")
    assert "A brand-new title" not in after.content.decode()
    assert after["ETag"] == etag
    assert client.get("/", headers={"if-none-match": etag}).status_code == 304


def test_a_preview_of_a_new_campaign_saves_nothing(client, campaign, editor):
    client.force_login(editor)
    data = _change_form_data(campaign, title="Autumn appeal", slug="autumn")
    data |= {"sections-TOTAL_FORMS": "0", "sections-INITIAL_FORMS": "0"}
    data |= {"matches-TOTAL_FORMS": "0", "matches-INITIAL_FORMS": "0"}
    response = client.post(reverse("admin:campaigns_campaign_preview_new"), data)
    assert response.status_code == 200
    assert "Autumn appeal" in response.content.decode()
    assert not Campaign.objects.filter(slug="autumn").exists()


def test_a_preview_in_spanish_shows_the_spanish_copy(client, campaign, editor):
    client.force_login(editor)
    data = _change_form_data(campaign) | {"title_es": "Un título nuevo en español"}
    response = client.post(_preview_url(campaign) + "?language=es", data)
    html = response.content.decode()
    assert '<html lang="es">' in html
    assert "Un título nuevo en español" in html


def test_a_preview_with_errors_says_what_to_fix(client, campaign, editor):
    client.force_login(editor)
    response = client.post(_preview_url(campaign), _change_form_data(campaign, goal_target="0"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "The preview cannot be shown yet" in html
    assert "Goal target" in html


def test_a_preview_is_for_staff_who_may_edit_only(client, campaign, stranger):
    response = client.post(_preview_url(campaign), _change_form_data(campaign))
    assert response.status_code == 302 and "/login/" in response["Location"]
    client.force_login(stranger)
    response = client.post(_preview_url(campaign), _change_form_data(campaign))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_preview_must_be_posted(client, campaign, editor):
    client.force_login(editor)
    assert client.get(_preview_url(campaign)).status_code == 405


# Duplicate ------------------------------------------------------------------------------


def test_duplicating_copies_the_copy_and_not_what_happened(client, campaign, editor):
    Campaign.objects.filter(pk=campaign.pk).update(donor_count=7, raised_cents=50000)
    FeedItem.objects.create(campaign=campaign, kind="donated", source_key="gift:test-1")
    client.force_login(editor)

    response = client.post(reverse("admin:campaigns_campaign_duplicate", args=[campaign.pk]))

    copy = Campaign.objects.get(slug=f"{campaign.slug}-copy")
    assert response["Location"] == _change_url(copy)
    assert not copy.is_published
    assert (copy.title, copy.title_es, copy.letter_es) == (
        campaign.title,
        campaign.title_es,
        campaign.letter_es,
    )
    assert (copy.preset_amounts, copy.goal_target) == (campaign.preset_amounts, 100)
    assert (copy.donor_count, copy.raised_cents, copy.feed_count) == (0, 0, 0)
    assert not copy.feed_items.exists()
    assert [(s.position, s.heading, s.body_es) for s in copy.sections.all()] == [
        (s.position, s.heading, s.body_es) for s in campaign.sections.all()
    ]
    assert campaign.sections.count() == 5  # the original keeps its own
    page = client.get(response["Location"]).content.decode()
    assert "is a copy of" in page and "saved as a draft" in page
    client.logout()
    assert client.get(copy.get_absolute_url()).status_code == 404  # a draft


def test_duplicating_twice_makes_a_new_unique_address(client, campaign, editor):
    client.force_login(editor)
    url = reverse("admin:campaigns_campaign_duplicate", args=[campaign.pk])
    client.post(url)
    client.post(url)
    slugs = set(Campaign.objects.values_list("slug", flat=True))
    assert {f"{campaign.slug}-copy", f"{campaign.slug}-copy-2"} <= slugs


def test_the_list_action_duplicates_one_campaign_and_opens_it(client, campaign, editor):
    client.force_login(editor)
    response = client.post(
        reverse("admin:campaigns_campaign_changelist"),
        {"action": "duplicate_campaigns", "_selected_action": [str(campaign.pk)]},
    )
    copy = Campaign.objects.get(slug=f"{campaign.slug}-copy")
    assert response["Location"] == _change_url(copy)


def test_duplicating_needs_the_add_permission(client, campaign, editor):
    from django.contrib.auth.models import Permission

    editor.groups.clear()
    editor.user_permissions.add(
        *Permission.objects.filter(codename__in=["change_campaign", "view_campaign"])
    )
    client.force_login(editor)
    response = client.post(reverse("admin:campaigns_campaign_duplicate", args=[campaign.pk]))
    assert response.status_code == 403
    assert Campaign.objects.count() == 1


@pytest.mark.parametrize("method", ["get"])
def test_duplicating_must_be_posted(client, campaign, editor, method):
    client.force_login(editor)
    url = reverse("admin:campaigns_campaign_duplicate", args=[campaign.pk])
    assert getattr(client, method)(url).status_code == 405
