"""A local stand-in for Stripe, for development and tests without the internet.

The real stripe-python client talks to it through
`StripeClient(api_key, base_addresses={"api": standin.url})`. It keeps its objects in
memory, answers with objects shaped as in the API version the site pins
(donations.stripe_gateway.API_VERSION), serves test versions of the hosted checkout page
and the customer portal, and sends correctly signed webhook events to the site. Apart
from that constant (whose module imports the stripe library) it needs nothing but the
standard library (Django only for the `stripe_standin` management command, which
refuses to run unless DEBUG is on).

    from devtools.stripe_standin import StripeStandin, sign_payload
"""

from .errors import StandinError, StripeError
from .objects import API_VERSION
from .server import StripeStandin
from .signing import sign_payload

__all__ = ["API_VERSION", "StandinError", "StripeError", "StripeStandin", "sign_payload"]
