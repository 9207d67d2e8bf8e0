"""The pages a donor's browser sees instead of Stripe's: hosted checkout, customer
portal, and an index. Small HTML5 documents with their own few lines of CSS, no
scripts, no external assets, plain forms that work without JavaScript, labelled
controls and stable ids for browser tests (`#pay`, `#decline`, `#delayed`, `#cancel`,
`#cancel-subscription`, `#return`, `#amount`, `#error`). The checkout and portal pages
are in the session's `locale` (English or Spanish, see .locales); the ids stay.
"""

from html import escape

from . import locales
from .checkout import offered_outcomes
from .objects import format_amount

STYLE = """
body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f6f8fa;color:#1a1f36}
main{max-width:30rem;margin:2rem auto;padding:1.5rem;background:#fff;border-radius:8px;
box-shadow:0 1px 3px rgba(0,0,0,.15)}
.badge{display:inline-block;background:#ffde92;color:#5a3b00;border-radius:4px;
padding:0 .5rem;font-size:.85rem;font-weight:600}
h1{font-size:1.35rem;line-height:1.3}
.amount{font-size:2rem;font-weight:700;margin:.5rem 0}
.amount span{font-size:1rem;font-weight:400;color:#555}
label{display:block;font-weight:600;margin-top:.75rem}
input{font:inherit;width:100%;box-sizing:border-box;padding:.5rem;border:1px solid #8792a2;
border-radius:4px}
button{font:inherit;display:block;width:100%;margin-top:.75rem;padding:.6rem;
border-radius:4px;border:1px solid #0a2540;background:#fff;color:#0a2540;cursor:pointer}
button.primary{background:#0a2540;color:#fff}
button:focus-visible,a:focus-visible,input:focus-visible{outline:3px solid #635bff;
outline-offset:2px}
.alert{border:1px solid #b3093c;background:#fde8ee;color:#7a0627;padding:.5rem .75rem;
border-radius:4px}
.status{border:1px solid #0b6e3b;background:#e5f6ec;color:#064b27;padding:.5rem .75rem;
border-radius:4px}
a{color:#0a2540}
ul{padding-left:1.2rem}
"""


def _page(title, body, locale=None):
    words = locales.text(locale)
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{locales.language(locale)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="robots" content="noindex">\n'
        f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n"
        f'<body>\n<main>\n<p class="badge">{escape(words["badge"])}</p>\n{body}</main>\n'
        "</body>\n</html>\n"
    )


def _per(interval, words):
    return words["per"].get(interval, interval)


def _amount(amount, currency, interval=None, words=locales.TEXT["en"]):
    text = escape(format_amount(amount, currency))
    if interval:
        text += f" <span>/ {escape(_per(interval, words))}</span>"
    return f'<p class="amount" id="amount">{text}</p>\n'


def session_interval(session):
    if session["mode"] != "subscription":
        return None
    recurring = session["_line_items"][0]["price"]["recurring"] or {}
    return recurring.get("interval")


def declined(session):
    """What the checkout page says when the card is declined, in the session's locale."""
    return locales.text(session.get("locale"))["declined"]


def checkout(session, *, email, error=None, name="Test Donor"):
    """The hosted checkout page of an open session, in its locale."""
    locale = session.get("locale")
    words = locales.text(locale)
    action = f"/checkout/{escape(session['id'])}"
    item = session["_line_items"][0]
    # Stripe's button says "Donate" for a donation; the stand-in's English one has
    # always said "Pay", and browser tests find it by that name.
    pay = words["donate"] if session.get("submit_type") == "donate" else words["pay"]
    body = f"<h1>{escape(words['checkout_heading'])}</h1>\n"
    body += f"<p>{escape(item['description'] or words['payment'])}</p>\n"
    body += _amount(session["amount_total"], session["currency"], session_interval(session), words)
    if error:
        body += f'<p class="alert" role="alert" id="error">{escape(error)}</p>\n'
    body += f'<form method="post" action="{action}">\n'
    if email:
        body += f'<p>{escape(words["email"])}: <strong id="email">{escape(email)}</strong></p>\n'
    else:
        body += (
            f'<label for="email">{escape(words["email"])}</label>\n'
            '<input id="email" name="email" type="email" autocomplete="email" required '
            'value="test.donor@example.com">\n'
        )
    body += (
        f'<label for="name">{escape(words["name_on_card"])}</label>\n'
        f'<input id="name" name="name" autocomplete="cc-name" value="{escape(name or "")}">\n'
    )
    if session["_payment_intent_data"].get("setup_future_usage"):
        # Checkout says so when the card is kept for later charges.
        body += f'<p id="saved-for-later">{escape(words["saved_for_later"])}</p>\n'
    # Only the buttons of the session's payment method types.
    offered = offered_outcomes(session)
    if "success" in offered:
        body += (
            f"<p>{escape(words['test_card'])}</p>\n"
            '<button class="primary" id="pay" type="submit" name="outcome" value="success">'
            f"{escape(pay)}</button>\n"
            '<button id="decline" type="submit" name="outcome" value="decline">'
            f"{escape(words['decline'])}</button>\n"
        )
    if "delayed" in offered:
        body += (
            '<button id="delayed" type="submit" name="outcome" value="delayed">'
            f"{escape(words['delayed'])}</button>\n"
        )
    body += "</form>\n"
    if session["cancel_url"]:
        body += (
            f'<p><a id="cancel" href="{escape(session["cancel_url"])}">'
            f"{escape(words['cancel'])}</a></p>\n"
        )
    return _page(words["checkout_title"], body, locale)


def unavailable(session=None):
    """What Stripe shows for a completed or expired session."""
    locale = session.get("locale") if session else None
    words = locales.text(locale)
    body = f"<h1>{escape(words['unavailable_heading'])}</h1>\n"
    body += f"<p>{escape(words['unavailable_text'])}</p>\n"
    if session and session.get("success_url") and session["status"] == "complete":
        url = session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"])
        body += f'<p><a id="return" href="{escape(url)}">{escape(words["return"])}</a></p>\n'
    return _page(words["unavailable_title"], body, locale)


def completed_without_url():
    body = "<h1>Thank you</h1>\n<p>The payment is complete (test mode).</p>\n"
    return _page("Payment complete · Stripe stand-in", body)


def portal(portal_session, customer, subscriptions, canceled=None):
    """The customer portal, in its locale: the customer's subscriptions, each with a
    cancel button."""
    locale = portal_session.get("locale")
    words = locales.text(locale)
    body = f"<h1>{escape(words['portal_heading'])}</h1>\n"
    who = customer["email"] or customer["name"] or customer["id"]
    body += f"<p>{escape(words['signed_in_as'])} <strong>{escape(who)}</strong></p>\n"
    if canceled:
        body += (
            f'<p class="status" role="status" id="confirmation">{escape(words["canceled"])}</p>\n'
        )
    body += f"<h2>{escape(words['subscriptions'])}</h2>\n"
    if not subscriptions:
        body += f"<p>{escape(words['no_subscriptions'])}</p>\n"
    first_button = True
    body += "<ul>\n" if subscriptions else ""
    for subscription in subscriptions:
        item = subscription["items"]["data"][0]
        price = item["price"]
        amount = format_amount(price["unit_amount"] * item["quantity"], price["currency"])
        interval = _per((price["recurring"] or {}).get("interval", "month"), words)
        status = subscription["status"].replace("_", " ")
        status = words["statuses"].get(status, status)
        if subscription["cancel_at_period_end"]:
            status += words["cancels_at_period_end"]
        body += f"<li><strong>{escape(amount)} / {escape(interval)}</strong> · {escape(status)}"
        if subscription["status"] not in ("canceled", "incomplete_expired"):
            button_id = "cancel-subscription" if first_button else f"cancel-{subscription['id']}"
            first_button = False
            body += (
                f'\n<form method="post" action="/portal/{escape(portal_session["id"])}">\n'
                f'<input type="hidden" name="subscription" value="{escape(subscription["id"])}">\n'
                f'<button id="{escape(button_id)}" type="submit">'
                f"{escape(words['cancel_subscription'])}</button>\n"
                "</form>\n"
            )
        body += "</li>\n"
    body += "</ul>\n" if subscriptions else ""
    return_url = portal_session["return_url"] or "/"
    body += f'<p><a id="return" href="{escape(return_url)}">{escape(words["return"])}</a></p>\n'
    return _page(words["portal_title"], body, locale)


def index(url, webhook_url):
    target = escape(webhook_url) if webhook_url else "nowhere (events are only recorded)"
    body = (
        "<h1>Stripe stand-in</h1>\n"
        "<p>A local, in-memory stand-in for Stripe's API, used in development and tests. "
        "It answers the calls of the real Stripe client, serves test versions of the "
        "hosted checkout and customer portal, and sends signed webhook events. "
        "No real money moves and nothing leaves this machine.</p>\n"
        f"<p>API base: <code>{escape(url)}</code><br>Webhook events go to: "
        f"<code>{target}</code></p>\n"
        '<p><a href="/_standin/events">Events sent so far (JSON)</a></p>\n'
    )
    return _page("Stripe stand-in", body)


def not_found(what="page"):
    body = f"<h1>Not found</h1>\n<p>There is no such {escape(what)}.</p>\n"
    return _page("Not found · Stripe stand-in", body)
