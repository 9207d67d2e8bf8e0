from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaigns.demo import SECTIONS


def test_it_shows_the_featured_campaign_at_the_root(client, campaign):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    for heading, _body in SECTIONS:
        assert f">{heading}</a></h3>" in html.replace("’", "’")
    assert "75 Charter Oak Avenue, Suite 1-210" in html
    assert "Hartford, CT 06106" in html
    assert "EIN 00-0000000" in html


def test_it_gives_each_section_a_heading_with_an_anchor(client, campaign):
    html = client.get(campaign.get_absolute_url()).content.decode()
    assert '<li id="you-can-help-us-be-the-voice-for-thousands-of-families">' in html
    assert 'href="#you-can-help-us-be-the-voice-for-thousands-of-families"' in html


def test_it_keeps_anchors_unique_when_headings_repeat(client, make_campaign):
    campaign = make_campaign()
    campaign.sections.create(position=1, heading="Same", body="a")
    campaign.sections.create(position=2, heading="Same", body="b")
    html = client.get(campaign.get_absolute_url()).content.decode()
    assert html.count('id="same"') == 1
    assert 'id="same-' in html


def test_it_leaves_amazonsmile_out_of_the_live_copy_or_marks_it_past(client, campaign):
    html = client.get("/").content.decode()
    if "AmazonSmile" in html:
        assert "A past program" in html
        assert "closed the program in 2023" in html


def test_it_hides_a_draft_from_the_public(client, make_campaign):
    draft = make_campaign(is_published=False)
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_it_shows_a_draft_to_an_editor_as_a_preview(client, make_campaign, editor):
    draft = make_campaign(is_published=False, title="Secret spring appeal")
    client.force_login(editor)
    response = client.get(draft.get_absolute_url())
    assert response.status_code == 200
    assert "Secret spring appeal" in response.content.decode()
    assert "Draft preview" in response.content.decode()


def test_it_hides_a_draft_from_a_logged_in_non_staff_user(client, make_campaign, stranger):
    draft = make_campaign(is_published=False)
    client.force_login(stranger)
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_it_404s_an_unknown_slug_with_the_friendly_page(client, db):
    response = client.get("/campaigns/no-such-thing/")
    assert response.status_code == 404
    assert "We couldn’t find that page" in response.content.decode()


def test_it_features_the_latest_running_published_campaign(client, make_campaign):
    import datetime

    make_campaign(slug="old", title="Old", starts_on=datetime.date(2020, 1, 1))
    make_campaign(slug="new", title="Newest", starts_on=datetime.date(2024, 1, 1))
    make_campaign(
        slug="draft",
        title="Draft",
        is_published=False,
        starts_on=datetime.date(2025, 1, 1),
    )
    make_campaign(
        slug="ended",
        title="Ended",
        starts_on=datetime.date(2025, 1, 1),
        ends_on=datetime.date(2025, 2, 1),
    )
    response = client.get("/")
    assert response.context["campaign"].slug == "new"


def test_it_says_so_when_no_campaign_is_running(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert "No appeal is running right now" in response.content.decode()


def test_it_renders_html_in_admin_copy_harmless(client, make_campaign):
    campaign = make_campaign(
        letter='Hello <script>alert("x")</script> <img src=x onerror="alert(1)"> '
        "[click](javascript:alert(2)) **bold**",
        summary="<b>summary</b>",
    )
    campaign.sections.create(heading="<script>h()</script>", body="<iframe src=//evil></iframe>")
    html = client.get(campaign.get_absolute_url()).content.decode()
    assert "<script>alert" not in html
    assert "<script>h()" not in html
    assert "onerror" not in html
    assert "javascript:" not in html
    assert "<iframe" not in html
    assert "&lt;script&gt;h()&lt;/script&gt;" in html
    assert "&lt;b&gt;summary&lt;/b&gt;" in html
    assert "<strong>bold</strong>" in html


def test_it_has_link_preview_tags_with_absolute_urls(client, campaign, settings):
    settings.SITE_URL = "https://give.ctoca.org"
    html = client.get("/").content.decode()
    assert '<meta property="og:title" content="Support Open Communities Alliance">' in html
    assert (
        '<meta property="og:url" content="https://give.ctoca.org/campaigns/oca-2017-appeal/">'
        in html
    )
    assert '<meta name="twitter:card"' in html


def test_it_uses_the_share_image_as_an_absolute_url(client, campaign, settings, tmp_path):
    import io

    from django.core.files.base import ContentFile
    from PIL import Image

    settings.SITE_URL = "https://give.ctoca.org"
    settings.MEDIA_ROOT = tmp_path
    # A real image: what is stored is re-encoded from it (see tests/campaigns/test_images.py).
    png = io.BytesIO()
    Image.new("RGB", (120, 63)).save(png, "PNG")
    campaign.share_image.save("card.png", ContentFile(png.getvalue()), save=True)
    html = client.get("/").content.decode()
    assert '<meta property="og:image" content="https://give.ctoca.org/media/share/' in html
    assert 'content="summary_large_image"' in html


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_it_runs_the_same_queries_however_many_sections(client, make_campaign):
    few = make_campaign(slug="few", sections=1)
    many = make_campaign(slug="many", sections=40)
    assert _count_queries(client, few.get_absolute_url()) == _count_queries(
        client, many.get_absolute_url()
    )


def test_it_renders_the_page_in_a_handful_of_queries(
    client, campaign, django_assert_max_num_queries
):
    with django_assert_max_num_queries(6):
        client.get(reverse("campaigns:detail", args=[campaign.slug]))
