"""The organization's details, stored once: receipts, the campaign page, the admin banner
and the deploy check read them from Organization."""

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ValidationError
from django.urls import reverse

from campaigns.organization import PLACEHOLDER_EIN, Organization
from donations import receipts


def _warnings():
    return [
        message.id for message in run_checks(include_deployment_checks=True, databases=["default"])
    ]


def test_it_prints_the_legal_name_and_ein_of_the_organization_on_a_receipt(
    online_gift, organization
):
    organization.legal_name = "Open Communities Alliance, Inc."
    organization.ein = "98-7654321"
    organization.email = "giving@ctoca.org"
    organization.save()

    receipt = receipts.build_receipt(online_gift())

    assert "Organization: Open Communities Alliance, Inc." in receipt.body
    assert "EIN: 98-7654321" in receipt.body
    assert "giving@ctoca.org" in receipt.body
    assert "98-7654321" in receipt.alternatives[0][0]
    assert receipt.subject == "Your receipt from Open Communities Alliance, Inc."


def test_it_warns_at_deploy_while_the_ein_is_the_placeholder(organization):
    organization.ein = PLACEHOLDER_EIN
    organization.save()
    assert "campaigns.W001" in _warnings()

    organization.ein = ""
    organization.save()
    assert "campaigns.W001" in _warnings()

    organization.ein = "12-3456789"
    organization.save()
    assert "campaigns.W001" not in _warnings()


def test_it_runs_the_deploy_check_only_when_asked_to_look_at_the_database(organization):
    organization.ein = PLACEHOLDER_EIN
    organization.save()
    ids = [m.id for m in run_checks(include_deployment_checks=True, databases=None)]
    assert "campaigns.W001" not in ids


def test_it_shows_a_banner_on_every_admin_page_while_the_ein_is_the_placeholder(
    client, campaign, superuser
):
    assert Organization.current().ein == PLACEHOLDER_EIN  # the demo's
    client.force_login(superuser)
    for url in (
        reverse("admin:index"),
        reverse("admin:campaigns_campaign_change", args=[campaign.pk]),
        reverse("admin:donations_gift_changelist"),
        reverse("admin:donations_deposit_add"),
    ):
        html = client.get(url).content.decode()
        assert "The organization’s EIN is not set yet." in html, url
        assert reverse("admin:campaigns_organization_change", args=[1]) in html

    organization = Organization.current()
    organization.ein = "12-3456789"
    organization.save()
    html = client.get(reverse("admin:index")).content.decode()
    assert "EIN is not set" not in html


def test_it_lets_staff_edit_the_details_once_and_every_campaign_page_shows_them(
    client, campaign, make_campaign, superuser
):
    other = make_campaign(slug="winter", title="Winter appeal")
    assert "75 Charter Oak Avenue" in client.get(other.get_absolute_url()).content.decode()
    client.force_login(superuser)
    url = reverse("admin:campaigns_organization_change", args=[1])
    form = {
        "legal_name": "Open Communities Alliance",
        "ein": "06-1234567",
        "check_payee": "OCA",
        "street": "100 Main Street",
        "suite": "",
        "city_state_zip": "Hartford, CT 06103",
        "phone": "860-555-0100",
        "email": "info@ctoca.org",
        "website": "https://www.ctoca.org",
    }
    response = client.post(url, form)
    assert response.status_code == 302
    client.logout()

    for page in (campaign, other):
        html = client.get(page.get_absolute_url()).content.decode()
        assert "100 Main Street" in html and "75 Charter Oak Avenue" not in html
        assert "EIN 06-1234567" in html
        assert "Make your check payable to <strong>OCA</strong>" in html
        assert "info@ctoca.org" in html


def test_it_refuses_a_malformed_ein_and_changes_nothing(client, organization, superuser):
    client.force_login(superuser)
    url = reverse("admin:campaigns_organization_change", args=[1])
    response = client.post(
        url,
        {
            "legal_name": "OCA",
            "ein": "12345",
            "check_payee": "OCA",
            "street": "1 Elm",
            "city_state_zip": "Hartford, CT",
        },
    )
    assert response.status_code == 200
    assert "Enter the EIN as 12-3456789." in response.content.decode()
    assert Organization.current().ein == "12-3456789"


@pytest.mark.parametrize("ein", ["123-456789", "1234567-89", "٠٦-١٢٣٤٥٦٧"])
def test_it_refuses_an_ein_with_the_hyphen_misplaced_or_other_digits(organization, ein):
    """Receipts print the EIN as entered: a donor's tax preparer must read 12-3456789."""
    organization.ein = ein
    with pytest.raises(ValidationError) as refused:
        organization.full_clean()
    assert refused.value.message_dict["ein"] == ["Enter the EIN as 12-3456789."]


def test_it_takes_an_ein_with_or_without_its_hyphen(organization):
    for ein in ("06-1234567", "061234567"):
        organization.ein = ein
        organization.full_clean()


def test_it_keeps_a_single_row_and_offers_no_add_or_delete(client, organization, superuser):
    client.force_login(superuser)
    response = client.get(reverse("admin:campaigns_organization_changelist"))
    assert response["Location"] == reverse("admin:campaigns_organization_change", args=[1])
    assert client.get(reverse("admin:campaigns_organization_add")).status_code == 403
    Organization(legal_name="Another").save()  # saves over the one row
    assert Organization.objects.count() == 1
    assert Organization.current().legal_name == "Another"


def test_staff_who_may_not_see_the_details_are_refused_the_list_too(client, bookkeeper):
    # Its only answer is a redirect to the one row: for them, a refusal instead.
    client.force_login(bookkeeper)
    response = client.get(reverse("admin:campaigns_organization_changelist"))
    assert response.status_code == 403
    assert not Organization.objects.exists()


def test_the_logo_falls_back_to_the_drawing_that_ships_with_the_site(client, campaign):
    assert Organization.current().logo_url.endswith("img/oca-logo.svg")
    html = client.get(campaign.get_absolute_url()).content.decode()
    assert 'src="/static/img/oca-logo.svg"' in html


def test_an_uploaded_logo_is_re_encoded_and_used(client, campaign, superuser, settings):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGBA", (64, 64), (29, 78, 137, 0)).save(buffer, "PNG")
    organization = Organization.current()
    organization.logo.save("my logo.png", SimpleUploadedFile("my logo.png", buffer.getvalue()))
    organization.refresh_from_db()
    assert organization.logo.name.startswith("logo/") and organization.logo.name.endswith(".png")
    assert "my logo" not in organization.logo.name
    html = client.get(campaign.get_absolute_url()).content.decode()
    assert f'src="{organization.logo.url}"' in html
