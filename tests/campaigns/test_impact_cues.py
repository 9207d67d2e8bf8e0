"""What each preset amount does ("$50 helps a family file a fair-housing complaint"):
written by staff in both languages, checked, and shown beside the amounts."""

import re

import pytest
from django.core.exceptions import ValidationError

from campaigns.impact import ImpactCueError, parse_impact_cues
from tests.campaigns.test_admin import _change_form_data, _change_url

CUES = "25 = buys workshop handouts\n50 = helps a family file a fair-housing complaint\n"


def _amount_labels(html):
    """(amount, its cue or None) of each preset on the form, in order."""
    labels = re.findall(
        r'<span class="choice-label" id="amount-label-\d">(\$[\d,]+)'
        r'(?:<span class="per-month"[^>]*>[^<]*</span>)+</span>'
        r'(?:<span class="cue" id="cue-\d"[^>]*>([^<]*)</span>)?',
        html,
    )
    return [(amount, cue or None) for amount, cue in labels]


def test_it_reads_one_line_per_amount():
    assert parse_impact_cues("25 = buys  handouts\n\n$1,000=funds a study \n") == {
        2500: "buys handouts",
        100000: "funds a study",
    }


@pytest.mark.parametrize(
    "text",
    ["helps a family", "50 helps a family", "50 =", "fifty = helps", "50.50 = helps", "0 = x"],
)
def test_it_refuses_a_line_it_cannot_read(text):
    with pytest.raises(ImpactCueError, match="Line 1"):
        parse_impact_cues(text)


def test_it_refuses_an_amount_twice_and_a_long_cue():
    with pytest.raises(ImpactCueError, match="Line 2: this amount has a line already"):
        parse_impact_cues("50 = a\n50 = b")
    with pytest.raises(ImpactCueError, match="120 characters"):
        parse_impact_cues("50 = " + "x" * 121)


def test_it_shows_each_cue_beside_its_amount_and_describes_the_radio(client, make_campaign):
    campaign = make_campaign(preset_amounts="25,50,100", impact_cues=CUES)
    html = client.get(campaign.get_absolute_url()).content.decode()
    assert _amount_labels(html) == [
        ("$25", "buys workshop handouts"),
        ("$50", "helps a family file a fair-housing complaint"),
        ("$100", None),
    ]
    # The amount names the radio button; the cue describes it.
    assert 'aria-labelledby="amount-label-1" aria-describedby="cue-1"' in html
    assert 'aria-labelledby="amount-label-2" checked' not in html
    assert 'id="id_amount_2" value="100" data-fee="$2.56" aria-labelledby="amount-label-2">' in html


def test_it_shows_the_spanish_cues_on_the_spanish_page(client, make_campaign):
    campaign = make_campaign(
        preset_amounts="25,50",
        impact_cues=CUES,
        impact_cues_es="50 = ayuda a una familia a presentar una queja",
    )
    html = client.get(f"/es/campaigns/{campaign.slug}/").content.decode()
    # A Spanish text for the campaign: its cues, and none borrowed line by line.
    assert _amount_labels(html) == [
        ("$25", None),
        ("$50", "ayuda a una familia a presentar una queja"),
    ]


def test_it_says_per_month_on_the_presets_when_monthly_is_chosen(client, make_campaign):
    campaign = make_campaign(preset_amounts="25,50")
    once = client.get(campaign.get_absolute_url()).content.decode()
    assert once.count('<span class="per-month" data-per="monthly" hidden>/month</span>') == 2
    assert once.count('<span class="per-month" data-per="annual" hidden>/year</span>') == 2
    monthly = client.get(campaign.get_absolute_url(), {"frequency": "monthly"}).content.decode()
    assert monthly.count('<span class="per-month" data-per="monthly">/month</span>') == 2
    assert monthly.count('<span class="per-month" data-per="annual" hidden>/year</span>') == 2
    yearly = client.get(campaign.get_absolute_url(), {"frequency": "annual"}).content.decode()
    assert yearly.count('<span class="per-month" data-per="annual">/year</span>') == 2
    spanish = client.get(f"/es/campaigns/{campaign.slug}/", {"frequency": "monthly"})
    assert spanish.content.decode().count('data-per="monthly">/mes</span>') == 2


def test_the_button_carries_both_wordings_of_the_total(client, make_campaign):
    campaign = make_campaign()
    html = client.get(campaign.get_absolute_url()).content.decode()
    assert 'data-label-once="Give __AMOUNT__ now"' in html
    assert 'data-label-monthly="Give __AMOUNT__ monthly"' in html
    spanish = client.get(f"/es/campaigns/{campaign.slug}/").content.decode()
    assert 'data-label-once="Donar __AMOUNT__ ahora"' in spanish
    assert 'data-label-monthly="Donar __AMOUNT__ al mes"' in spanish


def test_an_editor_cannot_give_a_cue_to_an_amount_not_offered(client, campaign, editor):
    client.force_login(editor)
    before = campaign.impact_cues
    response = client.post(
        _change_url(campaign),
        _change_form_data(campaign, impact_cues="50 = helps\n75 = does more"),
    )
    assert response.status_code == 200
    assert "$75 is not one of the preset amounts" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.impact_cues == before


def test_an_editor_sees_which_line_is_wrong(client, campaign, editor):
    client.force_login(editor)
    response = client.post(
        _change_url(campaign),
        _change_form_data(campaign, impact_cues_es="50 = ayuda\ncincuenta"),
    )
    assert response.status_code == 200
    assert "Line 2: write an amount" in response.content.decode()


def test_a_campaign_saved_in_code_is_checked_too(make_campaign):
    campaign = make_campaign(preset_amounts="25,50")
    campaign.impact_cues = "100 = more"
    with pytest.raises(ValidationError) as error:
        campaign.full_clean()
    assert "impact_cues" in error.value.message_dict
