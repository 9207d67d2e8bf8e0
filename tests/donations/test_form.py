"""The donation form: what it shows, what it refuses, and the fee it adds."""

import re
from fractions import Fraction

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import translation
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from campaigns.formatting import dollars, format_money, parse_money
from donations.admin_forms import DollarsField
from donations.fees import fee_rate, fee_to_cover
from donations.forms import BAD_AMOUNT, ChangeAmountForm, DonationForm, ManageLinkForm
from donations.models import Donor, Pledge


def _page(client, campaign, query=""):
    response = client.get(campaign.get_absolute_url() + query)
    assert response.status_code == 200
    return response.content.decode()


def _checked(html, name):
    return re.findall(rf'name="{name}"[^>]*value="([^"]*)"[^>]*checked', html)


def _assert_nothing_started(no_stripe):
    """The form was refused: no pledge was written and Stripe was never asked."""
    assert Pledge.objects.count() == 0
    assert len(no_stripe.calls) == 0


# What the page shows -----------------------------------------------------------------


def test_it_offers_the_campaigns_preset_amounts_and_another_amount(client, campaign):
    html = _page(client, campaign)
    for value in ("25", "50", "100", "250", "other"):
        assert re.search(rf'name="amount" id="id_amount_[a-z0-9]+" value="{value}"', html)
    assert 'name="other_amount"' in html
    assert _checked(html, "amount") == ["50"]
    assert _checked(html, "frequency") == ["once"]


def test_it_preselects_monthly_when_the_campaign_asks(client, campaign):
    campaign.default_frequency = "monthly"
    campaign.save()
    assert _checked(_page(client, campaign), "frequency") == ["monthly"]


@pytest.mark.parametrize(
    ("query", "amount", "other", "frequency"),
    [
        ("?amount=100&frequency=monthly", "100", "", "monthly"),
        ("?amount=75&frequency=once", "other", "75", "once"),
        ("?amount=12.50", "other", "12.50", "once"),
        ("?amount=abc&frequency=weekly", "50", "", "once"),
    ],
)
def test_it_prefills_amount_and_frequency_from_the_query(
    client, campaign, query, amount, other, frequency
):
    html = _page(client, campaign, query)
    assert _checked(html, "amount") == [amount]
    assert (
        f'name="other_amount" id="id_other_amount" inputmode="decimal" maxlength="20" autocomplete="off" value="{other}"'
        in html
    )
    assert _checked(html, "frequency") == [frequency]


def test_it_says_politely_that_a_cancelled_gift_charged_nothing(client, campaign):
    html = _page(client, campaign, "?amount=100&frequency=monthly&fee=1&cancelled=1")
    assert "Your gift was not completed; nothing was charged." in html
    assert _checked(html, "amount") == ["100"]
    assert _checked(html, "frequency") == ["monthly"]
    assert re.search(r'name="cover_fee"[^>]*checked', html)


def test_it_shows_the_exact_fee_for_the_chosen_amount(client, campaign):
    html = _page(client, campaign, "?amount=100")
    fee = format_money(fee_to_cover(10000), always_cents=True)
    assert f'<span id="fee-amount">{fee}</span>' in html
    # Each preset carries its own fee, for the page's script to show without arithmetic.
    assert f'value="50" data-fee="{format_money(fee_to_cover(5000), always_cents=True)}"' in html


def test_it_hides_the_honeypot_from_people_and_assistive_technology(client, campaign):
    html = _page(client, campaign)
    honeypot = re.search(r'<div class="hp" aria-hidden="true">(.*?)</div>', html, re.S)
    assert honeypot
    assert 'tabindex="-1"' in honeypot.group(1)
    assert 'autocomplete="off"' in honeypot.group(1)


def test_it_shows_no_form_once_the_campaign_has_ended(client, make_campaign):
    import datetime

    ended = make_campaign(starts_on=datetime.date(2020, 1, 1), ends_on=datetime.date(2020, 2, 1))
    html = client.get(ended.get_absolute_url()).content.decode()
    assert 'id="donation-form"' not in html
    assert "This appeal has ended" in html


# The fee -------------------------------------------------------------------------


def test_it_grosses_up_a_fifty_dollar_gift_to_the_cent():
    # (5000 + 30) / (1 - 0.022) = 5143.15 → 5144 cents charged.
    assert fee_to_cover(5000) == 144


@given(gift=st.integers(min_value=1, max_value=2_500_000))
@example(gift=500)
@example(gift=2_500_000)
def test_it_adds_the_smallest_fee_that_leaves_the_whole_gift(gift):
    rate, fixed = fee_rate(), 30
    charged = gift + fee_to_cover(gift)
    # What Stripe keeps of `charged` leaves at least the gift...
    assert charged - (rate * charged + fixed) >= gift
    # ...and one cent less would not.
    less = charged - 1
    assert less - (rate * less + fixed) < gift


@override_settings(DONATION_FEE_PERCENT=2.9, DONATION_FEE_FIXED_CENTS=30)
def test_it_follows_the_fee_settings():
    charged = 5000 + fee_to_cover(5000)
    assert charged == -(-Fraction(5030) // Fraction(971, 1000))


# Bad input: a clear message, nothing written, Stripe never called ------------------

BAD_AMOUNTS = [
    ("0", "The smallest gift we can accept online is $5."),
    ("-25", "Enter an amount in dollars and cents, like 50 or 50.25."),
    ("1000000000", "Online gifts are limited to $25,000 by card and $100,000 from a bank"),
    ("abc", "Enter an amount in dollars and cents, like 50 or 50.25."),
    ("12.345", "Enter an amount in dollars and cents, like 50 or 50.25."),
    ("4.99", "The smallest gift we can accept online is $5."),
]


@pytest.mark.parametrize(("typed", "message"), BAD_AMOUNTS)
def test_it_refuses_a_bad_amount_and_keeps_the_input(
    client, campaign, no_stripe, donation, typed, message
):
    response = client.post(
        f"/give/{campaign.slug}/", donation(amount="other", other_amount=typed, name="Ana")
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    # Next to the field, described by it, and in the summary with a link to the field.
    assert 'id="id_other_amount-error"' in html
    assert 'aria-invalid="true" aria-describedby="id_other_amount-error"' in html
    assert '<a href="#id_other_amount">' in html
    assert f'value="{typed}"' in html
    assert 'value="Ana"' in html
    # The whole campaign page comes back, not a bare form.
    assert "How can YOU help?" in html
    assert Pledge.objects.count() == 0
    assert Donor.objects.count() == 0
    assert len(no_stripe.calls) == 0


def test_it_points_a_gift_over_the_limit_to_the_check_address(
    client, campaign, no_stripe, donation
):
    response = client.post(
        f"/give/{campaign.slug}/", donation(amount="other", other_amount="30,000")
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert 'href="#check-heading"' in html
    assert 'id="check-heading"' in html
    assert len(no_stripe.calls) == 0


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"email": ""}, "email", "Enter your e-mail address so that we can send your receipt."),
        ({"email": None}, "email", "Enter your e-mail address so that we can send your receipt."),
        ({"email": "ana@"}, "email", "Enter an e-mail address like name@example.org."),
        ({"name": "   "}, "name", "Enter your name; it goes on your receipt."),
        ({"name": "A" * 151}, "name", "Enter a name of at most 150 characters."),
        (
            {"public_message": "x" * 281},
            "public_message",
            "Keep the message to 280 characters or fewer.",
        ),
        ({"amount": "37"}, "amount", "Choose one of the amounts shown, or enter another amount."),
        ({"amount": None}, "amount", "Choose an amount or enter another amount."),
        ({"amount": "other"}, "other_amount", "Enter the amount you would like to give."),
        (
            {"frequency": "weekly"},
            "frequency",
            "This campaign doesn’t offer gifts at that frequency. Choose one of those shown.",
        ),
        ({"display_as": "everyone"}, "display_as", "Choose how your gift is shown."),
    ],
)
def test_it_explains_each_bad_field(
    client, campaign, no_stripe, donation, overrides, field, message
):
    response = client.post(f"/give/{campaign.slug}/", donation(**overrides))
    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="id_{field}-error"' in html
    assert html.count(message) == 2  # beside the field and in the summary
    _assert_nothing_started(no_stripe)


@pytest.mark.parametrize(
    "name", ['<script>alert("hi")</script>', "Ana <b>Lopez</b>", "Ana\nLopez", "Ana\x07"]
)
def test_it_refuses_markup_and_control_characters_in_a_name_and_shows_it_escaped(
    client, campaign, no_stripe, donation, name
):
    response = client.post(f"/give/{campaign.slug}/", donation(name=name))
    assert response.status_code == 400
    html = response.content.decode()
    assert "&lt; and &gt; can’t be part of a name." in html
    assert "<script>alert" not in html
    assert "<b>Lopez" not in html
    _assert_nothing_started(no_stripe)


# Right-to-left and left-to-right overrides, embeddings and isolates: each turns the
# text after it around (or away) up to the end of the line it is shown on.
BIDI_CONTROLS = [
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
]


@pytest.mark.parametrize("control", BIDI_CONTROLS)
@pytest.mark.parametrize(
    "field", ["name", "honoree", "notify_name", "public_message", "notify_message"]
)
def test_it_refuses_a_text_direction_override_that_would_turn_the_text_after_it_around(
    campaign, control, field
):
    # "Ana\u202e" in the feed would show "… gave in honor of …" after it reversed.
    tribute = {"tribute_kind": "honor", "honoree": "Rosa", "notify_name": "Eva"}
    tribute["notify_email"] = "eva@example.org"
    form = _donation_form(campaign, amount="50", **tribute | {field: f"Ana{control} gave"})
    assert not form.is_valid()
    assert list(form.errors) == [field]


def test_it_accepts_names_and_messages_in_right_to_left_scripts(campaign):
    form = _donation_form(campaign, amount="50", name="שרה לוי", public_message="شكراً 🙏")
    assert form.is_valid(), form.errors


def test_a_name_of_invisible_characters_only_is_no_name(campaign):
    form = _donation_form(campaign, amount="50", name="\u200b\u200d\ufeff")
    assert not form.is_valid()
    assert list(form.errors) == ["name"]
    # Inside a name they stay: some scripts and emoji need the joiners.
    form = _donation_form(campaign, amount="50", name="Priya \u0915\u094d\u200d\u0937")
    assert form.is_valid(), form.errors


def test_it_gives_a_filled_honeypot_only_a_generic_error(client, campaign, no_stripe, donation):
    response = client.post(f"/give/{campaign.slug}/", donation(website="http://spam.example"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "We couldn’t accept this form. Please try again." in html
    assert 'id="id_website-error"' not in html
    assert Pledge.objects.count() == 0
    assert Donor.objects.count() == 0
    assert len(no_stripe.calls) == 0


def test_it_refuses_pledges_to_a_draft_campaign(client, make_campaign, no_stripe, donation):
    draft = make_campaign(is_published=False)
    assert client.post(f"/give/{draft.slug}/", donation()).status_code == 404
    assert Pledge.objects.count() == 0


def test_it_refuses_pledges_to_an_ended_campaign_with_a_message(
    client, make_campaign, no_stripe, donation
):
    import datetime

    ended = make_campaign(starts_on=datetime.date(2020, 1, 1), ends_on=datetime.date(2020, 2, 1))
    response = client.post(f"/give/{ended.slug}/", donation())
    assert response.status_code == 409
    assert "This appeal has ended" in response.content.decode()
    _assert_nothing_started(no_stripe)


def test_it_answers_only_post(client, campaign):
    assert client.get(f"/give/{campaign.slug}/").status_code == 405


# Properties over amounts and names ------------------------------------------------


def _donation_form(campaign, **fields):
    """The form bound to Ana's one-time gift of another amount, as `fields` change it."""
    data = {
        "amount": "other",
        "frequency": "once",
        "name": "Ana",
        "email": "ana@example.org",
        "display_as": "full",
    }
    return DonationForm(data | fields, campaign=campaign)


PROPERTY_SETTINGS = hypothesis_settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@PROPERTY_SETTINGS
@given(cents=st.integers(min_value=-(10**7), max_value=10**10))
@example(cents=499)
@example(cents=500)
@example(cents=2_500_000)
@example(cents=2_500_001)
def test_it_accepts_exactly_the_cents_in_range(campaign, cents):
    typed = ("-" if cents < 0 else "") + dollars(abs(cents))
    form = _donation_form(campaign, other_amount=typed)
    if 500 <= cents <= 2_500_000:
        assert form.is_valid(), form.errors
        assert form.cleaned_data["gift_cents"] == cents
        assert form.cleaned_data["amount_cents"] == cents
    else:
        assert not form.is_valid()
        assert "other_amount" in form.errors


@PROPERTY_SETTINGS
@given(name=st.text(max_size=200))
def test_it_accepts_a_name_only_without_markup_or_control_characters(campaign, name):
    form = _donation_form(campaign, amount="50", name=name)
    collapsed = " ".join(name.split())
    plain = not re.search(r"[<>\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", name.strip())
    if collapsed and plain and len(name.strip()) <= 150:
        assert form.is_valid(), form.errors
        assert form.cleaned_data["name"] == collapsed
    else:
        assert "name" in form.errors


@pytest.mark.parametrize("field, limit", [("public_message", 280), ("notify_message", 500)])
def test_a_message_that_fits_the_box_with_line_breaks_is_accepted(campaign, field, limit):
    # The box counts a line break as one character (its maxlength) and the browser
    # sends it as two, CR LF: a message that fitted must not come back "too long".
    typed = "a" * (limit - 4) + "\r\nb\r\n" + "c"
    assert len(typed.replace("\r\n", "\n")) == limit
    tribute = {"tribute_kind": "honor", "honoree": "Rosa", "notify_name": "Eva"}
    tribute["notify_email"] = "eva@example.org"
    form = _donation_form(campaign, amount="50", **tribute | {field: typed})
    assert form.is_valid(), form.errors
    assert form.cleaned_data[field] == typed.replace("\r\n", "\n")


def test_it_charges_the_gift_plus_the_fee_when_the_donor_covers_it(campaign):
    form = _donation_form(campaign, amount="50", cover_fee="on")
    assert form.is_valid(), form.errors
    assert (form.cleaned_data["gift_cents"], form.cleaned_data["fee_cents"]) == (5000, 144)
    assert form.cleaned_data["amount_cents"] == 5144


def test_a_typed_amount_wins_over_a_preset_as_without_javascript(campaign):
    form = _donation_form(campaign, amount="50", other_amount="75")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["gift_cents"] == 7500


# Any text in an amount field: a clear error, never a crash ------------------------

# Strings Python reads as numbers but no person types as an amount, and strings too
# long for int() (Python 3.12 refuses more than 4,300 digits).
NOT_AMOUNTS = [
    "9" * 5000,
    "9" * 21,
    "1" + "0" * 4300,
    "1e999999",
    "1E5",
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "-0",
    "1_000",
    "0x32",
    "50\x00",
    "5²",
    "①",
    "½",
]
# The same amount typed with the digits of other scripts.
UNICODE_FIFTIES = ["５０", "٥٠", "۵۰", "५०", "＄５０", "５０．００", "٥٠٫٠٠"]
AMOUNT_CHARACTERS = st.sampled_from("0123456789,.$ -+_eE٥٠５０²\u00a0\u3000") | st.characters()


@hypothesis_settings(max_examples=300, deadline=None)
@given(
    text=st.text(AMOUNT_CHARACTERS, max_size=60)
    | st.text(st.sampled_from("0123456789"), min_size=15, max_size=6000)
)
@example(text="9" * 5000)
@example(text="1e999999")
@example(text="NaN")
def test_it_reads_any_text_as_cents_or_nothing_and_never_raises(text):
    cents = parse_money(text)
    assert cents is None or (type(cents) is int and 0 <= cents < 10**14)


@PROPERTY_SETTINGS
@given(text=st.text(AMOUNT_CHARACTERS, max_size=60) | st.text(st.sampled_from("09"), max_size=6000))
@example(text="9" * 5000)
def test_it_answers_any_typed_amount_with_a_gift_or_an_error_on_that_field(campaign, text):
    for field in ("other_amount", "amount"):
        form = _donation_form(campaign, **{field: text})
        if form.is_valid():
            assert 500 <= form.cleaned_data["gift_cents"] <= 2_500_000
        else:
            assert set(form.errors) & {"amount", "other_amount"}
        # What the page shows with the form: the fee line and the error summary.
        form.shown_fee()
        form.error_items()
    change = ChangeAmountForm({"monthly_id": "1", "amount": text})
    if change.is_valid():
        assert 500 <= change.cleaned_data["amount"] <= 2_500_000
    else:
        assert "amount" in change.errors
    DonationForm.for_page(campaign, {"amount": text})


@pytest.mark.parametrize("typed", NOT_AMOUNTS)
def test_it_refuses_what_python_would_read_as_a_number_with_a_clear_message(
    client, campaign, no_stripe, donation, typed
):
    response = client.post(f"/give/{campaign.slug}/", donation(amount="other", other_amount=typed))
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_other_amount-error"' in html
    if "\x00" not in typed:
        assert str(BAD_AMOUNT) in html
    _assert_nothing_started(no_stripe)


def test_it_refuses_a_5000_digit_preset_choice_without_a_crash(
    client, campaign, no_stripe, donation
):
    response = client.post(f"/give/{campaign.slug}/", donation(amount="9" * 5000))
    assert response.status_code == 400
    assert "Choose one of the amounts shown, or enter another amount." in response.content.decode()


@pytest.mark.parametrize("typed", ["9" * 5000, "1e999999", "NaN", "Infinity", "-0", "1_000", "5²"])
def test_it_ignores_a_prefill_that_is_no_amount(client, campaign, typed):
    for url in ("/", campaign.get_absolute_url()):
        response = client.get(url, {"amount": typed})
        assert response.status_code == 200
        html = response.content.decode()
        assert _checked(html, "amount") == ["50"]  # the campaign's default
        assert (
            'id="id_other_amount" inputmode="decimal" maxlength="20" autocomplete="off" value="">'
            in html
        )


# Digits of other scripts are read as typed, on every amount field -------------------


@pytest.mark.parametrize("typed", UNICODE_FIFTIES)
def test_it_reads_fifty_typed_in_any_script_as_fifty_dollars(client, campaign, no_stripe, typed):
    assert parse_money(typed) == 5000
    # The donation form's own field, and a preset amount posted in other digits.
    form = _donation_form(campaign, other_amount=typed)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["gift_cents"] == 5000
    # The page's prefill selects the $50 preset.
    html = _page(client, campaign, "?amount=" + typed)
    assert _checked(html, "amount") == ["50"]
    # A monthly gift's new amount and a bookkeeper's check.
    change = ChangeAmountForm({"monthly_id": "1", "amount": typed})
    assert change.is_valid(), change.errors
    assert change.cleaned_data["amount"] == 5000
    assert DollarsField().clean(typed) == 5000


def test_it_prefills_an_amount_typed_in_arabic_indic_digits_as_ascii(client, campaign):
    html = _page(client, campaign, "?amount=٧٥٫٥٠")
    assert _checked(html, "amount") == ["other"]
    assert 'autocomplete="off" value="75.50"' in html


@PROPERTY_SETTINGS
@given(
    cents=st.integers(min_value=0, max_value=10**11),
    zero=st.sampled_from("0０٠۰०০๐"),
)
def test_it_reads_every_amount_the_same_in_every_script(cents, zero):
    ascii_text = dollars(cents)
    other = ascii_text.translate({ord(d): chr(ord(zero) + int(d)) for d in "0123456789"})
    assert parse_money(other) == parse_money(ascii_text) == cents


@pytest.mark.parametrize(
    ("cents", "always_cents", "text"),
    [
        (5000, False, "50"),
        (5025, False, "50.25"),
        (5005, False, "50.05"),
        (5000, True, "50.00"),
        (5140, True, "51.40"),
        (0, True, "0.00"),
        (123_456_789, True, "1234567.89"),
    ],
)
def test_it_writes_cents_as_the_plain_number_a_field_or_a_csv_cell_holds(cents, always_cents, text):
    # No sign, no grouping, a "." before the cents, in every language: a form field
    # must read it back, and so must a spreadsheet.
    with translation.override("es"):
        assert dollars(cents, always_cents=always_cents) == text


def test_it_refuses_a_superscript_or_circled_digit_rather_than_guess(campaign):
    for typed in ("5²", "²⁵", "⑤⓪"):
        assert parse_money(typed) is None
        with pytest.raises(ValidationError):
            DollarsField().clean(typed)


# E-mail addresses that lead inside a network ----------------------------------------

LOCAL_ADDRESSES = [
    "a@[127.0.0.1]",
    "a@[IPv6:::1]",
    "a@[10.0.0.1]",
    "a@localhost",
    "a@LOCALHOST",
    "a@intranet",
    "a@10.0.0.10",
    "a@printer.local",
    "a@x.localhost",
    "a@１０．０．０．１０",
    "a@ｌｏｃａｌｈｏｓｔ",
]
LOCAL_MESSAGE = "not at a local host or an IP address."


@pytest.mark.parametrize("email", LOCAL_ADDRESSES)
def test_it_refuses_an_address_at_a_local_host_or_ip_on_the_donation_form(
    client, campaign, no_stripe, donation, email
):
    response = client.post(f"/give/{campaign.slug}/", donation(email=email))
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_email-error"' in html
    assert html.count(LOCAL_MESSAGE) == 2  # beside the field and in the summary
    _assert_nothing_started(no_stripe)


@pytest.mark.parametrize("email", LOCAL_ADDRESSES)
def test_it_refuses_a_manage_link_for_a_local_host_or_ip_and_sends_nothing(db, client, email):
    # (The page's header reads the organization's logo from the database.)
    response = client.post("/give/manage/", {"email": email})
    assert response.status_code == 400
    assert LOCAL_MESSAGE in response.content.decode()
    assert mail.outbox == []


@pytest.mark.parametrize("email", ["ana@example.org", "ana@bücher.de", "a.b+c@mail.example.co.uk"])
def test_it_accepts_an_address_at_an_internet_domain(campaign, email):
    assert _donation_form(campaign, amount="50", email=email).is_valid()
    assert ManageLinkForm({"email": email}).is_valid()


@pytest.mark.parametrize("via", ["a\x00b", "x" * 61])
def test_a_supporters_code_that_is_no_code_gets_the_form_back_not_an_error_page(
    client, campaign, no_stripe, donation, via
):
    # The form is sent back with its errors; a NUL in the hidden `via` once crashed
    # the page that shows them (PostgreSQL refuses NUL in a query).
    client.raise_request_exception = False
    response = client.post(f"/give/{campaign.slug}/", donation(via=via, name=""))
    assert response.status_code == 400
    assert "Enter your name; it goes on your receipt." in response.content.decode()
    _assert_nothing_started(no_stripe)
