"""The back office's one-line fields refuse line breaks and control characters: a
donor's name or address, a check's number and memo, a void reason, a deposit's bank
reference end up on one line of a receipt, a letter, a CSV row or a mail header."""

import pytest
from django.urls import reverse

from donations.models import Donor, Gift

from .backoffice_fixtures import check_form_data
from .test_checks import ADD_URL

BAD = ["Ana\nLopez", "Ana\rLopez", "Ana\x1b[31m", "Ana\u2028Lopez", "Ana\x85Lopez"]


@pytest.mark.parametrize("value", BAD)
@pytest.mark.parametrize("field", ["name", "street", "city", "state", "postal_code"])
def test_a_donors_record_refuses_a_second_line(bookkeeper_client, donor, field, value):
    url = reverse("admin:donations_donor_change", args=[donor.pk])
    data = {
        "name": donor.name,
        "email": donor.email,
        "street": donor.street,
        "city": donor.city,
        "state": donor.state,
        "postal_code": donor.postal_code,
        field: value,
    }
    response = bookkeeper_client.post(url, data)
    assert response.status_code == 200
    assert "Keep this to one line" in response.content.decode()
    assert Donor.objects.get(pk=donor.pk).name == "Ana Lopez"


@pytest.mark.parametrize("field", ["check_number", "memo"])
def test_a_check_refuses_a_second_line(bookkeeper_client, campaign, donor, field):
    response = bookkeeper_client.post(
        ADD_URL, check_form_data(campaign, donor, **{field: "12\n34"})
    )
    assert response.status_code == 200
    assert "Keep this to one line" in response.content.decode()
    assert not Gift.objects.exists()
