"""A supporter's photo is reachable only while their page is public: hiding the page,
or a change that sends it back to review, moves the photo to a new address and the one
the public saw answers 404; a replaced or removed photo is deleted."""

import logging

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from fundraising import links
from fundraising.models import FundraisingPage

from .conftest import photo_bytes


@pytest.fixture
def page_with_photo(make_page):
    page = make_page(photo_alt="Rosa smiling")
    page.photo.save("x.jpg", SimpleUploadedFile("x.jpg", photo_bytes()))
    return page


def _served(client, url):
    """The status the media view answers for `url` (a file it sends read to the end,
    which closes it)."""
    response = client.get(url)
    if response.streaming:
        b"".join(response.streaming_content)
    return response.status_code


def _edit(client, page, **overrides):
    form = {
        "display_name": page.display_name,
        "appeal": page.appeal,
        "photo_alt": page.photo_alt,
        "goal_kind": page.goal_kind,
        "goal_target": str(page.goal_target),
    }
    return client.post(f"/give/fundraise/{links.make_token(page)}/", form | overrides)


def _hide(client, superuser, page):
    client.force_login(superuser)
    response = client.post(
        "/admin/fundraising/fundraisingpage/",
        {"action": "hide_pages", "_selected_action": [page.pk], "apply": "1", "reason": "spam"},
    )
    client.logout()
    return response


def test_hiding_a_page_takes_its_photo_off_the_address_the_public_saw(
    client, superuser, page_with_photo, django_capture_on_commit_callbacks
):
    page = page_with_photo
    public_url = page.photo.url
    assert _served(client, public_url) == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert _hide(client, superuser, page).status_code == 302
    page.refresh_from_db()
    assert page.status == "hidden"
    assert _served(client, public_url) == 404
    assert page.photo.url != public_url and page.photo.storage.exists(page.photo.name)

    # Approved again, the page shows the photo at its new address.
    client.force_login(superuser)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/admin/fundraising/fundraisingpage/",
            {"action": "approve_pages", "_selected_action": [page.pk]},
        )
    client.logout()
    html = client.get(page.get_absolute_url()).content.decode()
    assert f'src="{page.photo.url}"' in html and public_url not in html
    assert _served(client, page.photo.url) == 200
    # Caches in between keep it minutes, not the year a campaign's images get.
    served = client.get(page.photo.url)
    served.close()
    assert served["Cache-Control"] == "public, max-age=300"


def test_a_change_sent_back_to_review_takes_the_photo_off_its_public_address(
    client, page_with_photo, django_capture_on_commit_callbacks
):
    page = page_with_photo
    public_url = page.photo.url
    with django_capture_on_commit_callbacks(execute=True):
        _edit(client, page, appeal="New words for staff to read.")
    page.refresh_from_db()
    assert page.status == "pending"
    assert _served(client, public_url) == 404
    assert page.photo.storage.exists(page.photo.name)


def test_a_new_goal_alone_leaves_the_live_photo_where_it_is(
    client, page_with_photo, django_capture_on_commit_callbacks
):
    page = page_with_photo
    public_url = page.photo.url
    with django_capture_on_commit_callbacks(execute=True):
        _edit(client, page, goal_target="900")
    page.refresh_from_db()
    assert (page.status, page.goal_target, page.photo.url) == ("approved", 900, public_url)
    assert _served(client, public_url) == 200


def test_a_replaced_or_removed_photo_is_deleted(
    client, page_with_photo, django_capture_on_commit_callbacks
):
    page = page_with_photo
    first_url = page.photo.url
    upload = SimpleUploadedFile("new.jpg", photo_bytes(size=(80, 60)), content_type="image/jpeg")
    with django_capture_on_commit_callbacks(execute=True):
        _edit(client, page, photo=upload)
    page.refresh_from_db()
    assert page.status == "pending" and page.photo.url != first_url
    assert _served(client, first_url) == 404
    second_name = page.photo.name
    with django_capture_on_commit_callbacks(execute=True):
        _edit(client, page, **{"photo-clear": "on", "photo_alt": ""})
    page.refresh_from_db()
    assert page.photo.name == ""
    assert not FileSystemStorage().exists(second_name)


def test_the_same_picture_uploaded_again_does_not_bring_back_its_old_address(
    client, superuser, page_with_photo, django_capture_on_commit_callbacks
):
    page = page_with_photo
    public_url = page.photo.url
    with django_capture_on_commit_callbacks(execute=True):
        _hide(client, superuser, page)
        upload = SimpleUploadedFile("again.jpg", photo_bytes(), content_type="image/jpeg")
        _edit(client, page, photo=upload)
    page.refresh_from_db()
    assert page.status == "hidden" and page.photo.name
    assert page.photo.url != public_url
    assert _served(client, public_url) == 404


def test_a_photo_that_cannot_be_moved_leaves_the_page_hidden_and_is_moved_later(
    client, superuser, page_with_photo, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    page = page_with_photo
    public_url = page.photo.url

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patched:
        patched.setattr(FileSystemStorage, "save", disk_full)
        with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
            _hide(client, superuser, page)
    page.refresh_from_db()
    assert page.status == "hidden" and page.photo.url == public_url and page.photo_shown
    assert client.get(page.get_absolute_url()).status_code == 404
    assert f"Could not move the photo of fundraising page {page.pk}" in caplog.text

    call_command("move_hidden_photos")
    page.refresh_from_db()
    assert page.photo.url != public_url and not page.photo_shown
    assert _served(client, public_url) == 404
    assert page.photo.storage.exists(page.photo.name)


def test_a_picture_two_pages_share_stays_for_the_one_still_public(
    client, make_page, django_capture_on_commit_callbacks
):
    """Photos stored before names were random were named by their content."""
    rosa = make_page(photo_alt="A house")
    rosa.photo.save("x.jpg", SimpleUploadedFile("x.jpg", photo_bytes()))
    ana = make_page(email="ana@example.org", slug="ana", photo=rosa.photo.name, photo_alt="A")
    with django_capture_on_commit_callbacks(execute=True):
        rosa.status = FundraisingPage.Status.HIDDEN
        rosa.save()
    rosa.refresh_from_db()
    assert rosa.photo.name != ana.photo.name
    assert _served(client, ana.photo.url) == 200


def test_deleting_pages_from_the_list_deletes_their_photos_and_retires_the_cached_page(
    client, superuser, page_with_photo, django_capture_on_commit_callbacks
):
    page = page_with_photo
    public_url, page_url = page.photo.url, page.get_absolute_url()
    assert client.get(page_url).status_code == 200  # now kept by the page cache
    client.force_login(superuser)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/fundraising/fundraisingpage/",
            {"action": "delete_selected", "_selected_action": [page.pk], "post": "yes"},
        )
    client.logout()
    assert response.status_code == 302
    assert not FundraisingPage.objects.exists()
    assert client.get(page_url).status_code == 404
    assert _served(client, public_url) == 404
