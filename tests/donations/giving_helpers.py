"""A gift given as a donor gives it: the form, the stand-in's hosted page, the
thank-you page (which books the gift through the ledger, as the webhook would)."""


def give_online(client, campaign, stripe_standin, donation, *, prefix="", pay=True, **fields):
    """Posts the form on the campaign page (under `prefix`, "/es" for Spanish), pays on
    the stand-in unless `pay` is False, and opens the thank-you page. Returns the
    checkout session id."""
    response = client.post(f"{prefix}/give/{campaign.slug}/", donation(**fields))
    assert response.status_code == 303, response.content.decode()[:2000]
    session_id = response["Location"].rsplit("/", 1)[-1]
    if pay:
        stripe_standin.pay(session_id)
        assert client.get(f"{prefix}/give/thanks/", {"session_id": session_id}).status_code == 200
    return session_id
