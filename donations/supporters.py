"""Supporters: people who asked to hear from OCA, and the one-click way out.

Consent follows money, as identity does (donations.donors): ticking "Send me
occasional updates" on the form consents nothing until that pledge is paid; then the
consent is recorded for the donor the payment belongs to, with the time, the exact
words shown, their language and the page (`consent_from_gift`). A donor who proved
their address on "My giving" may give or withdraw it there (`give_consent`,
`withdraw_consent`).

Every update e-mail carries a signed link to stop them (`unsubscribe_url`) and the
List-Unsubscribe headers of RFC 2369 and RFC 8058 (`list_unsubscribe_headers`), so
that a mail program's own "Unsubscribe" button withdraws the consent with one POST
and no login. The link never expires: an update read a year later must still let its
reader leave.
"""

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from .models import Donor, UpdatesConsent

# The words next to the checkbox, stored as shown with each consent.
UPDATES_WORDING = _("Send me occasional updates from OCA")
UNSUBSCRIBE_SALT = "donations.supporters.unsubscribe"

Withdrawal = UpdatesConsent.Withdrawal


# Consent -----------------------------------------------------------------------------


def is_subscribed(donor):
    return UpdatesConsent.objects.active().filter(donor=donor).exists()


def consent_from_gift(gift):
    """Records the consent ticked on the pledge that `gift` paid, once the gift counts.

    Called by donations.gift_sync for every counted gift, inside the booking's
    transaction. Keyed by the pledge (unique), so a replayed or late event neither
    records it twice nor brings back a consent the donor has since withdrawn.
    """
    if not gift.pledge_id or not gift.donor_id or not gift.counted:
        return None
    pledge = gift.pledge
    if not pledge.wants_updates:
        return None
    consent, _created = UpdatesConsent.objects.get_or_create(
        pledge=pledge,
        defaults={
            "donor_id": gift.donor_id,
            "given_at": gift.given_at,
            "wording": pledge.updates_wording or str(UPDATES_WORDING),
            "language": pledge.language,
            "source": pledge.source_path,
        },
    )
    return consent


@transaction.atomic
def give_consent(donor, *, source, language=None, wording=None):
    """Records that `donor` (who proved their address) asked for updates; returns the
    consent.

    `source` is the path of the page that showed the choice, without any token (for
    "My giving", reverse("donations:manage")); `wording` the words shown, in
    `language` (by default UPDATES_WORDING in that language). Asking again while
    subscribed records nothing new.
    """
    Donor.objects.select_for_update().filter(pk=donor.pk).first()
    current = UpdatesConsent.objects.active().filter(donor=donor).first()
    if current is not None:
        return current
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    if wording is None:
        with translation.override(language):
            wording = str(UPDATES_WORDING)
    return UpdatesConsent.objects.create(
        donor=donor, wording=wording[:300], language=language, source=source[:300]
    )


def withdraw_consent(donor, source, *, at=None):
    """Withdraws every consent of `donor` given up to `at` (now by default).

    The rows stay, stamped with the time and `source` (a Withdrawal). A consent given
    after `at` stands: an unsubscribe exported from the mailing tool must not undo a
    newer "yes". Safe to run twice: a withdrawn consent keeps its first withdrawal.
    Returns how many consents it withdrew.
    """
    at = at or timezone.now()
    return (
        UpdatesConsent.objects.active()
        .filter(donor=donor, given_at__lte=at)
        .update(withdrawn_at=at, withdrawn_source=Withdrawal(source))
    )


# The way out ---------------------------------------------------------------------------


def _address_digest(email):
    # A keyed digest, not the address: the token travels in URLs and is readable.
    return salted_hmac(UNSUBSCRIBE_SALT, email.lower(), algorithm="sha256").hexdigest()[:24]


def unsubscribe_token(donor):
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign_object(
        {"d": donor.pk, "e": _address_digest(donor.email)}
    )


def donor_from_unsubscribe_token(token):
    """The donor an unsubscribe link was made for, or None for a link we did not make
    (or whose donor's address has changed since)."""
    try:
        value = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(value, dict) or not isinstance(value.get("d"), int):
        return None
    donor = Donor.objects.filter(pk=value["d"]).first()
    if donor is None or _address_digest(donor.email) != value.get("e"):
        return None
    return donor


def unsubscribe_url(donor, language=None):
    """The signed page that stops updates, in `language` (the donor's by default)."""
    with translation.override(language or donor.language):
        path = reverse("donations:stop-updates", args=[unsubscribe_token(donor)])
    return settings.SITE_URL + path


def list_unsubscribe_headers(donor, language=None):
    """The headers every update e-mail carries: RFC 2369's List-Unsubscribe with the
    signed link, and RFC 8058's List-Unsubscribe-Post, which lets the mail program
    withdraw the consent with one POST to that link."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(donor, language)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
