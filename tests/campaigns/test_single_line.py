"""One-line admin fields refuse line breaks and control characters
(campaigns.validators.single_line)."""

import pytest
from django.core.exceptions import ValidationError

from campaigns.models import Campaign, HelpSection
from campaigns.validators import single_line
from tests.campaigns.test_admin import _change_form_data, _change_url

# Line feed, carriage return, tab, escape, delete, the C1 "next line", and Unicode's
# line and paragraph separators. NUL is refused by Django's form fields already.
NOT_ONE_LINE = ["\n", "\r", "\t", "\x1b", "\x7f", "\x85", "\u2028", "\u2029"]

ONE_LINE_FIELDS = [
    "title",
    "summary",
    "help_heading",
    "share_title",
    "share_description",
]


@pytest.mark.parametrize(
    "value",
    ["Open Communities Alliance, Inc.", "Suite 1-210", "Año nuevo — “¡Dona!” 🏠", ""],
)
def test_it_takes_ordinary_text_in_any_language(value):
    single_line(value)


@pytest.mark.parametrize("char", NOT_ONE_LINE, ids=[f"U+{ord(c):04X}" for c in NOT_ONE_LINE])
def test_it_refuses_a_line_break_or_control_character(char):
    with pytest.raises(ValidationError) as refused:
        single_line(f"Open Communities{char}Alliance")
    assert refused.value.code == "single_line"
    assert f"U+{ord(char):04X}" in refused.value.messages[0]


@pytest.mark.parametrize("field", ONE_LINE_FIELDS)
def test_it_guards_every_one_line_field_of_a_campaign(campaign, field):
    setattr(campaign, field, "12-345\n6789")
    with pytest.raises(ValidationError) as refused:
        campaign.full_clean()
    assert "Keep this to one line" in " ".join(refused.value.message_dict[field])


ORGANIZATION_ONE_LINE_FIELDS = [
    "legal_name",
    "ein",
    "check_payee",
    "street",
    "suite",
    "city_state_zip",
    "phone",
]


@pytest.mark.parametrize("field", ORGANIZATION_ONE_LINE_FIELDS)
def test_it_guards_every_one_line_field_of_the_organization(organization, field):
    setattr(organization, field, "12-345\n6789")
    with pytest.raises(ValidationError) as refused:
        organization.full_clean()
    assert "Keep this to one line" in " ".join(refused.value.message_dict[field])


def test_it_guards_a_help_sections_heading(campaign):
    section = HelpSection(campaign=campaign, heading="Fair\rhousing", body="Text")
    with pytest.raises(ValidationError) as refused:
        section.full_clean()
    assert "heading" in refused.value.message_dict


@pytest.mark.parametrize("char", ["\n", "\r", "\x1b", "\u2028"], ids=["LF", "CR", "ESC", "LS"])
@pytest.mark.parametrize("field", ["title", "help_heading", "summary", "share_title"])
def test_it_refuses_it_in_the_admin_and_saves_nothing(client, campaign, editor, field, char):
    before = getattr(campaign, field)
    client.force_login(editor)

    response = client.post(
        _change_url(campaign), _change_form_data(campaign, **{field: f"Spring{char}appeal"})
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors[field]
    assert any("Keep this to one line" in error for error in errors), errors
    assert "Keep this to one line" in response.content.decode()
    assert getattr(Campaign.objects.get(pk=campaign.pk), field) == before


def test_it_refuses_a_section_heading_with_a_line_break_in_the_admin(client, campaign, editor):
    before = list(campaign.sections.values_list("heading", flat=True))
    client.force_login(editor)

    response = client.post(
        _change_url(campaign),
        _change_form_data(campaign, **{"sections-1-heading": "Zoning\nreform"}),
    )

    assert response.status_code == 200
    assert "Keep this to one line" in response.content.decode()
    assert list(campaign.sections.values_list("heading", flat=True)) == before
