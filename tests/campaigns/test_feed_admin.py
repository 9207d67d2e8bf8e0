import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from campaigns.models import Campaign, FeedItem

from .gifts import donor, give

CHANGELIST = reverse("admin:campaigns_feeditem_changelist")


@pytest.fixture
def moderator(db):
    """Staff with the feed's permissions only."""
    user = User.objects.create_user("mo", "mo@example.org", "pw-mo-123", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="campaigns", codename__in=["view_feeditem", "change_feeditem"]
        )
    )
    return user


@pytest.fixture
def items(make_campaign):
    campaign = make_campaign()
    spam = give(campaign, donor("Spam Bot"), message="Buy cheap pills at example.com")
    fine = give(campaign, donor("Ana Lopez"), message="For fair housing")
    return (
        campaign,
        FeedItem.objects.get(source_key=spam.feed_key),
        FeedItem.objects.get(source_key=fine.feed_key),
    )


def _action(client, action, *items, **extra):
    data = {"action": action, "_selected_action": [item.pk for item in items], **extra}
    return client.post(CHANGELIST, data)


def test_it_lists_and_searches_the_feed_for_a_moderator(client, moderator, items):
    client.force_login(moderator)
    response = client.get(CHANGELIST, {"q": "pills"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Spam Bot" in html
    assert "Ana Lopez" not in html
    assert client.get(CHANGELIST, {"hidden__exact": "1"}).status_code == 200


def test_it_keeps_the_feed_away_from_editors(client, editor, items):
    client.force_login(editor)
    assert client.get(CHANGELIST).status_code == 403
    _campaign, spam, _fine = items
    assert client.get(reverse("admin:campaigns_feeditem_change", args=[spam.pk])).status_code == 403
    assert "feed item" not in client.get(reverse("admin:index")).content.decode().lower()


def test_it_asks_for_a_reason_before_hiding(client, moderator, items):
    campaign, spam, _fine = items
    client.force_login(moderator)
    response = _action(client, "hide_items", spam)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Why hide these items?" in html
    assert "Buy cheap pills at example.com" in html
    response = _action(client, "hide_items", spam, apply="Hide", reason="  ")
    assert "Say why the items are hidden." in response.content.decode()
    spam.refresh_from_db()
    assert not spam.hidden
    assert Campaign.objects.get(pk=campaign.pk).feed_count == 2


def test_it_hides_with_the_reason_and_who_and_takes_the_item_off_the_page(client, moderator, items):
    campaign, spam, fine = items
    client.force_login(moderator)
    response = _action(client, "hide_items", spam, apply="Hide", reason="Spam")
    assert response.status_code == 302
    spam.refresh_from_db()
    fine.refresh_from_db()
    assert (spam.hidden, spam.hidden_reason, spam.hidden_by) == (True, "Spam", moderator)
    assert spam.hidden_at is not None
    assert not fine.hidden
    assert LogEntry.objects.filter(object_id=str(spam.pk), change_message="Hidden: Spam").exists()
    page = client.get(campaign.get_absolute_url()).content.decode()
    assert "Spam Bot" not in page
    assert "Ana Lopez" in page
    assert "Showing 1 reaction<" in page
    listing = client.get(CHANGELIST).content.decode()
    assert "Hidden by mo: Spam" in listing


def test_it_unhides(client, moderator, items):
    campaign, spam, _fine = items
    client.force_login(moderator)
    _action(client, "hide_items", spam, apply="Hide", reason="Spam")
    response = _action(client, "unhide_items", spam)
    assert response.status_code == 302
    spam.refresh_from_db()
    assert (spam.hidden, spam.hidden_reason, spam.hidden_by) == (False, "", None)
    assert Campaign.objects.get(pk=campaign.pk).feed_count == 2
    assert "Spam Bot" in client.get(campaign.get_absolute_url()).content.decode()


def test_it_lets_a_viewer_look_but_not_hide(client, items):
    _campaign, spam, _fine = items
    viewer = User.objects.create_user("vi", "vi@example.org", "pw-vi-123", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_feeditem"))
    client.force_login(viewer)
    assert client.get(CHANGELIST).status_code == 200
    _action(client, "hide_items", spam, apply="Hide", reason="Spam")
    spam.refresh_from_db()
    assert not spam.hidden


def test_it_shows_an_item_read_only_and_never_deletes_one(client, moderator, superuser, items):
    _campaign, spam, _fine = items
    url = reverse("admin:campaigns_feeditem_change", args=[spam.pk])
    client.force_login(superuser)
    response = client.get(url)
    assert response.status_code == 200
    assert 'name="display_name"' not in response.content.decode()
    assert client.post(url, {"display_name": "Changed"}).status_code == 403
    delete_url = reverse("admin:campaigns_feeditem_delete", args=[spam.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    spam.refresh_from_db()
    assert spam.display_name == "Spam Bot"
