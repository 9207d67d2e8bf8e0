"""Signed links that prove an address: whoever opens one received it at that address.

"My giving" (donations.monthly) and supporters' pages (fundraising.links) send one to
the address on file. The token names the row and a keyed digest of its address, never
the address itself: a signed token is readable by anyone who base64-decodes it, and it
travels in URLs (access logs, browser history). Signing the address as well means that
a row whose address changes invalidates its old links. Each kind of link has its own
salt, so that one kind opens nothing of another's.
"""

from django.core import signing
from django.utils.crypto import salted_hmac


class LinkExpired(Exception):
    """The link was genuine but is older than its kind allows."""


class LinkInvalid(Exception):
    """The link was not made by this site, or no longer names its row."""


class AddressLinks:
    """The links of one kind: `salt`, good for `max_age` seconds, naming the row under
    `key` in the signed value."""

    def __init__(self, salt, *, key, max_age):
        self.salt, self.key, self.max_age = salt, key, max_age

    def digest(self, email):
        return salted_hmac(self.salt, email.lower(), algorithm="sha256").hexdigest()[:24]

    def make(self, pk, email):
        return signing.TimestampSigner(salt=self.salt).sign_object(
            {self.key: pk, "e": self.digest(email)}
        )

    def read(self, token, find):
        """The row `find(pk)` returns for the token's pk, if its address still matches
        the one signed; raises LinkExpired or LinkInvalid."""
        try:
            value = signing.TimestampSigner(salt=self.salt).unsign_object(
                token, max_age=self.max_age
            )
        except signing.SignatureExpired:
            raise LinkExpired from None
        except (signing.BadSignature, ValueError, TypeError):
            raise LinkInvalid from None
        if not isinstance(value, dict):
            raise LinkInvalid
        row = find(value.get(self.key))
        if row is None or self.digest(row.email) != value.get("e"):
            raise LinkInvalid
        return row
