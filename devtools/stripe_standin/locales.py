"""The languages of the stand-in's pages: Stripe's `locale` of a Checkout Session or a
portal session, and the few words the stand-in's pages say in English and Spanish.

Stripe translates its hosted pages itself, so these words are the stand-in's own, kept
here rather than in the site's catalog: the stand-in is test tooling, not the site.
Any locale Stripe accepts is accepted; the pages are in Spanish for "es" and its
variants ("es-419"), in English otherwise (Stripe's "auto" follows the browser; the
stand-in's English).
"""

from .errors import one_of

# The locales Stripe accepts, as listed in its API reference.
CHECKOUT_LOCALES = (
    "auto", "bg", "cs", "da", "de", "el", "en", "en-GB", "es", "es-419", "et", "fi", "fil",
    "fr", "fr-CA", "hr", "hu", "id", "it", "ja", "ko", "lt", "lv", "ms", "mt", "nb", "nl",
    "pl", "pt", "pt-BR", "ro", "ru", "sk", "sl", "sv", "th", "tr", "vi", "zh", "zh-HK",
    "zh-TW",
)  # fmt: skip
PORTAL_LOCALES = CHECKOUT_LOCALES + ("en-AU", "en-CA", "en-IE", "en-IN", "en-NZ", "en-SG")

TEXT = {
    "en": {
        "badge": "Stripe stand-in · test mode",
        "checkout_title": "Test mode checkout · Stripe stand-in",
        "checkout_heading": "Test mode checkout (no real money moves)",
        "payment": "Payment",
        "per": {"day": "day", "week": "week", "month": "month", "year": "year"},
        "email": "Email",
        "name_on_card": "Name on card",
        "test_card": "Card: Visa ending in 4242 (a test card; nothing is charged)",
        "saved_for_later": "Your card will be saved for future payments to this business.",
        "pay": "Pay",
        "donate": "Pay",
        "decline": "Decline card",
        "delayed": "Pay with delayed method",
        "cancel": "Cancel",
        "declined": "Your card was declined.",
        "unavailable_title": "Session no longer available · Stripe stand-in",
        "unavailable_heading": "This session is no longer available",
        "unavailable_text": "This checkout session has already been completed or has expired.",
        "return": "Return to site",
        "portal_title": "Test mode customer portal · Stripe stand-in",
        "portal_heading": "Test mode customer portal",
        "signed_in_as": "Signed in as",
        "canceled": "Your subscription has been canceled. No further payments will be taken.",
        "subscriptions": "Subscriptions",
        "no_subscriptions": "No subscriptions.",
        "cancels_at_period_end": ", cancels at the end of the period",
        "cancel_subscription": "Cancel subscription",
        "statuses": {},
    },
    "es": {
        "badge": "Sustituto de Stripe · modo de prueba",
        "checkout_title": "Pago en modo de prueba · sustituto de Stripe",
        "checkout_heading": "Pago en modo de prueba (no se mueve dinero real)",
        "payment": "Pago",
        "per": {"day": "día", "week": "semana", "month": "mes", "year": "año"},
        "email": "Correo electrónico",
        "name_on_card": "Nombre en la tarjeta",
        "test_card": "Tarjeta: Visa terminada en 4242 (una tarjeta de prueba; no se cobra nada)",
        "saved_for_later": "Su tarjeta se guardará para pagos futuros a esta empresa.",
        "pay": "Pagar",
        # Stripe's button says "Donar" for a session with submit_type "donate".
        "donate": "Donar",
        "decline": "Rechazar la tarjeta",
        "delayed": "Pagar con un método diferido",
        "cancel": "Cancelar",
        "declined": "Su tarjeta fue rechazada.",
        "unavailable_title": "Sesión no disponible · sustituto de Stripe",
        "unavailable_heading": "Esta sesión ya no está disponible",
        "unavailable_text": "Esta sesión de pago ya se completó o venció.",
        "return": "Volver al sitio",
        "portal_title": "Portal del cliente en modo de prueba · sustituto de Stripe",
        "portal_heading": "Portal del cliente en modo de prueba",
        "signed_in_as": "Sesión iniciada como",
        "canceled": "Se canceló su suscripción. No se harán más cobros.",
        "subscriptions": "Suscripciones",
        "no_subscriptions": "No hay suscripciones.",
        "cancels_at_period_end": ", se cancela al final del período",
        "cancel_subscription": "Cancelar suscripción",
        "statuses": {
            "active": "activa",
            "past due": "vencida",
            "unpaid": "sin pagar",
            "canceled": "cancelada",
            "incomplete": "incompleta",
            "incomplete expired": "incompleta, vencida",
            "trialing": "en prueba",
            "paused": "en pausa",
        },
    },
}


def checkout_locale(params):
    """The `locale` param of a new Checkout Session, checked as Stripe checks it; or None."""
    if not params.get("locale"):
        return None
    return one_of(params["locale"], CHECKOUT_LOCALES, "locale")


def portal_locale(params):
    """The `locale` param of a new portal session, checked as Stripe checks it; or None."""
    if not params.get("locale"):
        return None
    return one_of(params["locale"], PORTAL_LOCALES, "locale")


def language(locale):
    """The language of the stand-in's pages for a Stripe locale: "es" or "en"."""
    return "es" if (locale or "").split("-")[0] == "es" else "en"


def text(locale):
    return TEXT[language(locale)]
