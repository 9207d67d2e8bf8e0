"""Donors: one per e-mail address (compared without case), made only by money.

Anyone can type any address into the donation form, so a typed address proves
nothing. A Donor row is created, and its name set, only when a pledge is paid
(`donor_for_payment`) or a bookkeeper logs a gift; the name, display choice and
message of each gift are those of the pledge that paid for it. Only a signed link
sent to the address (donations.monthly) shows or changes what is on file.
"""

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from .models import Donor, Gift, MonthlyGift, Pledge, UpdatesConsent, YearEndStatement


def find_donor(email):
    """The donor with this e-mail address, compared without case, or None."""
    email = (email or "").strip().lower()
    if not email:
        return None
    return Donor.objects.annotate(email_lower=Lower("email")).filter(email_lower=email).first()


def find_or_create_donor(*, email, name, language="en"):
    """One donor per e-mail address, compared without case, even under concurrency.

    Callers have money (a paid pledge) or a bookkeeper behind them; an existing
    donor's record is not changed here.
    """
    donor = find_donor(email)
    if donor is not None:
        return donor
    try:
        with transaction.atomic():
            return Donor.objects.create(email=email.strip(), name=name, language=language)
    except IntegrityError:
        # Another transaction created the same donor a moment ago (the unique index on
        # Lower(email) made this insert wait for it, then fail): use that one.
        donor = find_donor(email)
        if donor is None:
            raise
        return donor


def donor_for_payment(pledge, *, customer_id=None):
    """The donor a paid pledge belongs to: found by its address, created if new.

    Called by the ledger when money arrives for the pledge, inside its transaction.
    Links the pledge to the donor, and remembers the first Stripe customer Checkout
    made for them. An existing donor's record is left as it is: paying with someone's
    address must not rename them (the gift carries the name typed with it), nor change
    the language of their statements: a new donor takes the language of the pledge that
    made them, each gift keeps its own. Safe to run twice: the pledge keeps the donor it
    was given and an existing customer id is never replaced.
    """
    if pledge.donor_id:
        donor = pledge.donor
    else:
        donor = find_or_create_donor(email=pledge.email, name=pledge.name, language=pledge.language)
        Pledge.objects.filter(pk=pledge.pk, donor__isnull=True).update(donor=donor)
        pledge.donor = donor
    if customer_id and not donor.stripe_customer_id:
        Donor.objects.filter(pk=donor.pk, stripe_customer_id__isnull=True).update(
            stripe_customer_id=customer_id
        )
        donor.refresh_from_db(fields=["stripe_customer_id"])
    return donor


class CannotMerge(Exception):
    """Two donors whose records cannot be joined as they are; the message says why."""


@transaction.atomic
def merge_donors(keep, other):
    """Moves everything of `other` onto `keep` and deletes the emptied `other` row.

    For a person who gave under two addresses. Gifts keep the names they were given
    under; `keep` keeps its own address, name and Stripe customer. Refused when both
    have a year-end statement for the same year (the statement was sent to each).
    """
    if keep.pk == other.pk:
        raise CannotMerge(_("Choose two different donors."))
    clash = set(YearEndStatement.objects.filter(donor=keep).values_list("year", flat=True)) & set(
        YearEndStatement.objects.filter(donor=other).values_list("year", flat=True)
    )
    if clash:
        years = ", ".join(str(year) for year in sorted(clash))
        raise CannotMerge(
            _("Both donors were sent a year-end statement for %(years)s.") % {"years": years}
        )
    for model in (Gift, MonthlyGift, Pledge, YearEndStatement, UpdatesConsent):
        model.objects.filter(donor=other).update(donor=keep)
    for field in ("street", "city", "state", "postal_code"):
        if not getattr(keep, field) and getattr(other, field):
            setattr(keep, field, getattr(other, field))
    if not keep.stripe_customer_id and other.stripe_customer_id:
        customer_id = other.stripe_customer_id
        Donor.objects.filter(pk=other.pk).update(stripe_customer_id=None)
        keep.stripe_customer_id = customer_id
    other.delete()
    keep.save()
    return keep
