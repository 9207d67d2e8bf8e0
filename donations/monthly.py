"""The donor's side: signed "My giving" links, monthly notices, changes to a gift.

There are no donor accounts. A donor proves they own an address by receiving a link
at it: `/give/manage/<token>/` ("My giving"), where the token is the donor's id and a
digest of their address signed with the site's secret and a timestamp, good for one
hour. Every donor can ask for one, monthly or not. Asking for a link always gets the
same answer and the same amount of work, whether or not the address is known, so the
form cannot be used to find out who gives.

The e-mails about a monthly gift (update your card, amount changed, canceled) are
MonthlyNotice rows written in the transaction of the change and sent once after it
commits; one the mail server refused is tried again with a back-off (where the task
backend can defer) and by `manage.py send_pending_receipts`.
"""

import datetime
import hashlib
import logging

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import F, Q
from django.tasks import task
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns.formatting import format_date, format_money
from campaigns.organization import Organization
from oca_site.redaction import log_unexpected

from . import languages, mail, ratelimit, stripe_gateway
from .donors import find_donor
from .ledger import SubscriptionChange
from .mail import short_error
from .models import Donor, Gift, MonthlyGift, MonthlyNotice, PaymentMethod, first_name
from .signed_links import AddressLinks, LinkExpired, LinkInvalid  # noqa: F401 (what read raises)

logger = logging.getLogger(__name__)

LINK_SALT = "donations.monthly.manage-link"
LINK_MAX_AGE = 60 * 60
# However many addresses ask, one inbox gets at most this many links an hour.
LINKS_PER_ADDRESS = "3/h"
MANAGEABLE = [MonthlyGift.Status.ACTIVE, MonthlyGift.Status.PAST_DUE, MonthlyGift.Status.INCOMPLETE]


LINKS = AddressLinks(LINK_SALT, key="d", max_age=LINK_MAX_AGE)


# Links -----------------------------------------------------------------------------


def make_token(donor):
    return LINKS.make(donor.pk, donor.email)


def donor_from_token(token):
    """The donor a manage link was made for; raises LinkExpired or LinkInvalid."""
    return LINKS.read(token, lambda pk: Donor.objects.filter(pk=pk).first())


def manage_url(donor):
    return settings.SITE_URL + reverse("donations:manage-gifts", args=[make_token(donor)])


def manageable_gifts(donor):
    return donor.monthly_gifts.filter(status__in=MANAGEABLE).select_related("campaign")


def next_charge_date(monthly):
    """When a manageable monthly gift is next charged, by Stripe's clock; None when
    no event has said yet (the page then leaves the date out rather than guess)."""
    if monthly.status not in MANAGEABLE:
        return None
    return monthly.next_charge_at


def card_of(monthly):
    """(brand, last four) of the card that paid the latest charge; ("", "") if unknown,
    or if the gift is paid from a bank account now (paid_by_bank): a card that paid
    an older charge no longer pays it."""
    if paid_by_bank(monthly):
        return ("", "")
    charge = (
        monthly.charges.exclude(card_last4="")
        .order_by("-given_at", "-pk")
        .only("card_brand", "card_last4")
    ).first()
    return (charge.card_brand, charge.card_last4) if charge else ("", "")


def paid_by_bank(monthly):
    """Whether a recurring gift is paid from a bank account: as its latest charge was
    (the donor may have moved it to a card in Stripe's portal), else as its pledge chose."""
    latest = (
        monthly.charges.exclude(payment=Gift.Payment.FAILED)
        .order_by("-given_at", "-pk")
        .values_list("method", flat=True)
        .first()
    )
    if latest:
        return latest == Gift.Method.BANK
    return monthly.pledge_id is not None and monthly.pledge.payment_method == PaymentMethod.BANK


# "Send me a link" --------------------------------------------------------------------


def request_manage_link(email, language=None):
    """Queues the e-mail for an address that asked for a manage link.

    The request does the same thing for every address (queue one task); the task
    looks the address up, so neither the answer nor its timing says whether we know it.
    The e-mail is in `language`, that of the page it was asked from (the site's by
    default), and its links lead to the pages in it.
    """
    # Why the lookup is in the task and the task does equal work for every address:
    # with the database backend (production) this request only writes a task row,
    # the same for everyone. With the immediate backend (development, tests, or a
    # deployment that forgot TASKS_BACKEND) the task runs right here, inside the
    # request, so deliver_manage_link itself must not take a shortcut for an address
    # it does not know. Deferring with on_commit would not help: the immediate
    # backend still runs the task before the response is sent.
    send_manage_link.enqueue(email.strip(), languages.supported(language))


def deliver_manage_link(email, language=None):
    """Sends the "My giving" link, or a short note that the address gave nothing with us.

    Returns what was sent: "link", "none", "limited" or "failed". A mail server
    failure is logged, not raised: the donor can simply ask again.

    Known or not, an address costs the same work: the same queries (the donor, then
    whether they have any gift, once or monthly), a link signed, the same template
    rendered twice and one e-mail sent. For an address we do not know, a stand-in
    donor that matches no row takes the donor's place and its link is thrown away.
    """
    digest = hashlib.sha256(email.lower().encode()).hexdigest()[:32]
    if not ratelimit.hit_key("manage-link-address", digest, LINKS_PER_ADDRESS).allowed:
        logger.info("Manage link not sent: too many for one address")
        return "limited"
    donor = find_donor(email)
    # pk=0 is never a row's id (ids start at 1), so its gifts query finds nothing.
    someone = donor or Donor(pk=0, email=email)
    has_gifts = someone.gifts.exists()
    with mail.in_language(language):
        url = manage_url(someone)
        context = {
            "has_gifts": has_gifts,
            "name": donor.first_name if donor else "",
            "url": url if has_gifts else "",
            "request_url": settings.SITE_URL + reverse("donations:manage"),
            "site_url": mail.site_address(),
            "minutes": LINK_MAX_AGE // 60,
        }
        subject = _("Your link to “My giving” at Open Communities Alliance")
    # To the address on file, not the one typed: the two only match without case, and
    # a lookalike (the Kelvin sign "\u212a" lowercases to "k") may be someone else's inbox.
    to = donor.email if donor else email
    error = mail.deliver(mail.build("manage_link", to, subject, context, language=language))
    if error is not None:
        logger.warning("Manage link e-mail not sent: %s", error)
        return "failed"
    return "link" if has_gifts else "none"


@task()
def send_manage_link(email, language=None):
    return deliver_manage_link(email, language)


# Notices: a failed charge, a new amount, a cancellation -----------------------------

# For each kind of notice: its template under email/ and its subject, for a monthly
# and for a yearly gift.
NOTICE_MAIL = {
    MonthlyNotice.Kind.CARD: (
        "update_card",
        gettext_lazy("Your monthly gift didn’t go through"),
        gettext_lazy("Your yearly gift didn’t go through"),
    ),
    MonthlyNotice.Kind.AMOUNT: (
        "monthly_amount_changed",
        gettext_lazy("Your monthly gift’s new amount is confirmed"),
        gettext_lazy("Your yearly gift’s new amount is confirmed"),
    ),
    MonthlyNotice.Kind.CANCELED: (
        "monthly_canceled",
        gettext_lazy("Your monthly gift is canceled"),
        gettext_lazy("Your yearly gift is canceled"),
    ),
    MonthlyNotice.Kind.UPGRADE: (
        "monthly_upgrade",
        gettext_lazy("Your monthly gift is set up"),
        # An upgrade only ever starts a monthly gift (donations.upgrades).
        gettext_lazy("Your monthly gift is set up"),
    ),
}


def confirm_change(change):
    """Confirms to the donor a new amount or a cancellation, once, after commit.

    `change` is what ledger.apply_subscription (the webhook) or change_amount (the
    donor on "My giving") reports. Called inside the transaction of the change: the
    notice row is written there and mailed after it commits. A cancellation is keyed
    by its monthly gift, so it is confirmed once however often Stripe says it; an
    amount notice is written only when the amount on file moved, so Stripe's echo of
    an amount already set writes none.
    """
    monthly, kind = change.monthly, change.kind
    if monthly is None or not kind or monthly.donor_id is None:
        return None
    if kind == MonthlyNotice.Kind.CANCELED:
        notice, created = MonthlyNotice.objects.get_or_create(
            key=f"canceled:{monthly.pk}",
            defaults={"monthly_gift": monthly, "kind": kind, "amount_cents": monthly.amount_cents},
        )
    else:
        notice, created = (
            MonthlyNotice.objects.create(
                monthly_gift=monthly, kind=kind, amount_cents=monthly.amount_cents
            ),
            True,
        )
    if created:
        transaction.on_commit(lambda: send_card_notice.enqueue(notice.pk))
    return notice


def ask_to_update_card(monthly, invoice_id):
    """Asks the donor to update their card after a failed charge, once per invoice.

    Called by the webhook inside the transaction of `invoice.payment_failed`. The
    notice row (unique by invoice) is written in that transaction and the e-mail goes
    out after it commits; Stripe's retries of the same invoice find the row and send
    nothing more.
    """
    notice, created = MonthlyNotice.objects.get_or_create(
        stripe_invoice_id=invoice_id, defaults={"monthly_gift": monthly}
    )
    if created:
        transaction.on_commit(lambda: send_card_notice.enqueue(notice.pk))
    return notice


def deliver_card_notice(notice_id):
    """Sends one monthly notice (card, amount, canceled) if it is still due; returns
    True when sent.

    Never raises for this notice's trouble (a mail error, a broken header, a bug): the
    error is noted on the notice, without addresses, and logged.
    """
    try:
        return _deliver_card_notice(notice_id)
    except Exception as error:
        log_unexpected(logger, "Card update notice %s not sent: unexpected error", notice_id)
        try:
            MonthlyNotice.objects.filter(pk=notice_id, sent_at__isnull=True).update(
                attempts=F("attempts") + 1, error=short_error(error)
            )
        except DatabaseError as db_error:
            logger.warning(
                "Card update notice %s could not be marked: %s", notice_id, short_error(db_error)
            )
        return False


def _deliver_card_notice(notice_id):
    with transaction.atomic():
        notice = (
            MonthlyNotice.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("monthly_gift__donor", "monthly_gift__campaign", "monthly_gift__pledge")
            .filter(pk=notice_id, sent_at__isnull=True)
            .first()
        )
        if notice is None:
            return False
        monthly = notice.monthly_gift
        donor = monthly.donor
        canceled = monthly.status == MonthlyGift.Status.CANCELED
        if donor is None or not donor.email:
            return False
        if canceled and notice.kind != MonthlyNotice.Kind.CANCELED:
            return False
        notice.attempts += 1
        # In the language the gift was started in, as its receipts.
        language = monthly.pledge.language if monthly.pledge_id else donor.language
        template, monthly_subject, yearly_subject = NOTICE_MAIL[notice.kind]
        subject = yearly_subject if monthly.is_yearly else monthly_subject
        with mail.in_language(language):
            next_charge = next_charge_date(monthly)
            context = {
                # The name typed with the gift, as on its receipts.
                "name": first_name(monthly.pledge.name if monthly.pledge_id else donor.name),
                "amount": format_money(
                    notice.amount_cents or monthly.amount_cents, monthly.currency, always_cents=True
                ),
                "next_charge": format_date(next_charge) if next_charge else "",
                "campaign": monthly.campaign.in_language("title", language=language),
                "org_name": Organization.current().legal_name,
                "url": manage_url(donor),
                "request_url": settings.SITE_URL + reverse("donations:manage"),
                "minutes": LINK_MAX_AGE // 60,
                "yearly": monthly.is_yearly,
                # A failed debit from a bank account is no expired card.
                "by_bank": notice.kind == MonthlyNotice.Kind.CARD and paid_by_bank(monthly),
            }
            subject = str(subject)
        error = mail.deliver(mail.build(template, donor.email, subject, context, language=language))
        if error is not None:
            logger.warning("Card update notice %s not sent: %s", notice.pk, error)
            notice.error = error
            notice.save(update_fields=["attempts", "error"])
            mail.retry_later(send_card_notice, notice.pk, notice.attempts)
            return False
        notice.sent_at = timezone.now()
        notice.error = ""
        notice.save(update_fields=["attempts", "error", "sent_at"])
    return True


@task()
def send_card_notice(notice_id):
    return deliver_card_notice(notice_id)


# How long a notice a mail outage held back is still worth sending.
NOTICE_MAX_AGE = datetime.timedelta(days=3)


def send_due_card_notices():
    """Tries every notice (card, amount, canceled, upgrade) not sent yet, each on its
    own, as `manage.py send_pending_receipts` does after a mail outage; returns how many
    were sent. A notice with nobody to tell stays unsent; so does one older than
    NOTICE_MAX_AGE (a week-old "your new amount is confirmed" tells the donor nothing
    true any more), and a card notice once its gift is no longer past due (a later
    charge went through: "please update your card" would be wrong)."""
    due = (
        MonthlyNotice.objects.filter(
            sent_at__isnull=True,
            monthly_gift__donor__isnull=False,
            created_at__gte=timezone.now() - NOTICE_MAX_AGE,
        )
        .exclude(monthly_gift__donor__email="")
        .exclude(
            Q(kind=MonthlyNotice.Kind.CARD) & ~Q(monthly_gift__status=MonthlyGift.Status.PAST_DUE)
        )
    )
    return sum(deliver_card_notice(pk) for pk in list(due.values_list("pk", flat=True)))


# Changes the donor makes ------------------------------------------------------------


def open_portal(donor, monthly=None, language=None):
    """A Stripe customer portal session (update card, cancel); its URL.

    For the customer that owns `monthly` (else the donor's newest manageable monthly
    gift): Checkout makes a customer per paid session, so a donor who started two
    monthly gifts may have two. The portal, and the page it returns to, are in
    `language` (that of the page it was opened from; else the donor's). Raises
    stripe_gateway.StripeUnavailable / StripeRejected.
    """
    monthly = monthly or manageable_gifts(donor).first()
    customer_id = (monthly.stripe_customer_id if monthly else "") or donor.stripe_customer_id
    if not customer_id:
        raise stripe_gateway.StripeRejected(f"Donor {donor.pk} has no Stripe customer")
    language = language or donor.language
    with translation.override(language):
        return_url = manage_url(donor)
    session = stripe_gateway.create_portal_session(
        customer_id=customer_id, return_url=return_url, locale=language
    )
    return session["url"]


def change_amount(monthly, amount_cents):
    """Sets a monthly gift's amount from the next charge on (no proration), and
    confirms the new amount to the donor by e-mail.

    Books no money: the next invoice is charged at the new price. Stripe first, then
    the local row: if Stripe fails nothing changes here. Running it twice sets the
    same price twice and confirms once (the second run finds the amount already on
    file); `customer.subscription.updated` will arrive, say the same amount, and
    confirm nothing more.
    """
    stripe_gateway.change_subscription_amount(
        monthly.stripe_subscription_id, amount_cents=amount_cents, currency=monthly.currency
    )
    with transaction.atomic():
        changed = MonthlyGift.objects.filter(pk=monthly.pk).exclude(amount_cents=amount_cents)
        if changed.update(amount_cents=amount_cents):
            monthly.amount_cents = amount_cents
            confirm_change(SubscriptionChange(monthly, MonthlyNotice.Kind.AMOUNT))
    monthly.amount_cents = amount_cents
    return monthly
