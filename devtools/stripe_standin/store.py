"""The stand-in's memory: objects by id, events sent, idempotent results, faults.

One re-entrant lock guards everything. It is held while state changes and never while a
webhook is being delivered: the site may call the API back from its webhook handler, and
that call is served by another thread that needs the lock.
"""

import copy
import threading
import time

from . import objects
from .errors import StripeError, missing, to_int

# Fields that Stripe leaves out unless asked for with `expand[]` ("includable").
INCLUDABLE = {
    ("checkout.session", "line_items"),
    ("invoice", "payments"),
}

# Which object an id names, by its prefix (for `expand`).
PREFIXES = {
    "cs_": "checkout.session",
    "cus_": "customer",
    "pi_": "payment_intent",
    "pm_": "payment_method",
    "ch_": "charge",
    "sub_": "subscription",
    "si_": "subscription_item",
    "in_": "invoice",
    "inpay_": "invoice_payment",
    "price_": "price",
    "prod_": "product",
    "re_": "refund",
    "dp_": "dispute",
    "evt_": "event",
    "bps_": "billing_portal.session",
    "txn_": "balance_transaction",
    "po_": "payout",
}
# Fields that link an object to another and never change once it is made: `find`
# looks objects up by them without scanning the kind (a month of 20,000 gifts is
# reconciled one invoice or charge at a time).
LINKS = {
    ("invoice_payment", "invoice"),
    ("charge", "payment_intent"),
    ("refund", "charge"),
    ("dispute", "charge"),
    ("balance_transaction", "source"),
}
CREATED_BOUNDS = {
    "gt": lambda value, bound: value > bound,
    "gte": lambda value, bound: value >= bound,
    "lt": lambda value, bound: value < bound,
    "lte": lambda value, bound: value <= bound,
}


class EventRecord:
    """An event sent (or to be sent), with the outcome of each delivery attempt."""

    def __init__(self, event):
        self.event = event
        self.attempts = []
        self.delivered = False
        self.held = False
        self.dropped = False
        self.done = threading.Event()

    def as_dict(self):
        return copy.deepcopy(self.event) | {
            "delivery": {
                "delivered": self.delivered,
                "held": self.held,
                "dropped": self.dropped,
                "attempts": copy.deepcopy(self.attempts),
            }
        }


class Store:
    def __init__(self):
        self.lock = threading.RLock()
        self.clock = objects.Clock()
        self.objects = {}
        self.by_kind = {}  # kind -> {id: object}, in creation order
        self.links = {}  # (kind, field) -> {value: [objects]}, for LINKS
        self.pending_balance = []  # balance transactions not yet available
        self.events = []
        self.idempotent = {}
        self.webhooks_enabled = True
        self.faults = []  # pending (status, delay) answers for the next API calls

    # Objects

    def add(self, obj):
        with self.lock:
            self.objects[obj["id"]] = obj
            self.by_kind.setdefault(obj["object"], {})[obj["id"]] = obj
            for kind, field in LINKS:
                if obj["object"] == kind and obj.get(field):
                    linked = self.links.setdefault((kind, field), {})
                    linked.setdefault(obj[field], []).append(obj)
        return obj

    def forget_all(self):
        with self.lock:
            self.objects.clear()
            self.by_kind.clear()
            self.links.clear()
            self.pending_balance.clear()
            self.events.clear()
            self.idempotent.clear()
            self.faults.clear()

    def of_kind(self, kind):
        """Every object of one kind, oldest first (a list: safe to change the store)."""
        with self.lock:
            return list(self.by_kind.get(kind, {}).values())

    def get(self, kind, object_id, param="id"):
        with self.lock:
            obj = self.objects.get(object_id) if isinstance(object_id, str) else None
        if obj is None or obj["object"] != kind:
            raise missing(kind, object_id, param)
        return obj

    def find(self, kind, **filters):
        """Objects of one kind matching `filters`, newest first (as Stripe lists them)."""
        link = next((field for field in filters if (kind, field) in LINKS), None)
        with self.lock:
            if link is not None:
                found = list(self.links.get((kind, link), {}).get(filters[link], ()))
            else:
                found = list(self.by_kind.get(kind, {}).values())
        if filters:
            found = [obj for obj in found if all(obj.get(k) == v for k, v in filters.items())]
        # Dicts keep insertion order, so reversing breaks ties of the same second.
        return sorted(reversed(found), key=lambda obj: obj["created"], reverse=True)

    # Responses

    def render(self, obj, expand=()):
        """The public copy of `obj` with the `expand` paths replaced by objects."""
        with self.lock:
            result = objects.public(obj)
            for path in expand or ():
                self._expand(result, path.split("."), path)
        return result

    def _expand(self, node, parts, path):
        if node is None:
            return
        if node.get("object") == "list" and parts[0] == "data":
            for item in node["data"]:
                if len(parts) > 1:
                    self._expand(item, parts[1:], path)
            return
        field = parts[0]
        if (node.get("object"), field) in INCLUDABLE and field not in node:
            node[field] = self._include(node, field)
        elif field not in node:
            raise StripeError(f"This property cannot be expanded ({path}).", param="expand")
        value = node[field]
        if isinstance(value, str):
            target = self._by_id(value)
            if target is None:
                raise StripeError(f"This property cannot be expanded ({path}).", param="expand")
            node[field] = value = objects.public(target)
        elif value is not None and not isinstance(value, dict):
            raise StripeError(f"This property cannot be expanded ({path}).", param="expand")
        if len(parts) > 1 and isinstance(value, dict):
            self._expand(value, parts[1:], path)

    def _by_id(self, object_id):
        kind = next((k for p, k in PREFIXES.items() if object_id.startswith(p)), None)
        obj = self.objects.get(object_id)
        return obj if obj is not None and obj["object"] == kind else None

    def _include(self, node, field):
        if field == "line_items":
            items = self.objects[node["id"]]["_line_items"]
            url = f"/v1/checkout/sessions/{node['id']}/line_items"
            return objects.list_object(copy.deepcopy(items), url)
        payments = [objects.public(p) for p in self.find("invoice_payment", invoice=node["id"])]
        return objects.list_object(payments, f"/v1/invoice_payments?invoice={node['id']}")

    def page(self, items, params, url):
        """A list envelope of `items` (newest first), as Stripe pages its lists:
        `limit` (10 unless given, at most 100), `starting_after` / `ending_before` (an
        id in the list; `has_more` tells whether more lie beyond, in that direction),
        and `created` (a timestamp, or a range of `gt`, `gte`, `lt`, `lte`)."""
        limit = to_int(params.get("limit", 10), "limit", minimum=1)
        if limit > 100:
            raise StripeError("This value must be less than or equal to 100.", param="limit")
        if params.get("starting_after") and params.get("ending_before"):
            raise StripeError(
                "You may only specify one of these parameters: ending_before, starting_after.",
                param="ending_before",
            )
        items = created_between(items, params.get("created"))
        ids = [item["id"] for item in items]
        if params.get("starting_after"):
            cursor = params["starting_after"]
            if cursor not in ids:
                raise missing("object", cursor, "starting_after")
            items = items[ids.index(cursor) + 1 :]
            shown, has_more = items[:limit], len(items) > limit
        elif params.get("ending_before"):
            cursor = params["ending_before"]
            if cursor not in ids:
                raise missing("object", cursor, "ending_before")
            newer = items[: ids.index(cursor)]
            shown, has_more = newer[-limit:], len(newer) > limit
        else:
            shown, has_more = items[:limit], len(items) > limit
        data = [self.render(item, _list_expand(params)) for item in shown]
        return objects.list_object(data, url, has_more=has_more)

    # Events

    def emit(self, event_type, obj, *, previous=None, origin=None):
        """Records an event holding a snapshot of `obj` now; the caller delivers it."""
        request_id, idempotency_key = origin or (None, None)
        with self.lock:
            event = objects.event(
                event_type,
                obj,
                previous_attributes=previous,
                request_id=request_id,
                idempotency_key=idempotency_key,
                pending_webhooks=1 if self.webhooks_enabled else 0,
            )
            record = EventRecord(event)
            self.events.append(record)
            self.add(event)
        return record

    def event_record(self, event_id):
        with self.lock:
            for record in self.events:
                if record.event["id"] == event_id:
                    return record
        raise missing("event", event_id)

    # Faults

    def add_faults(self, count, status, delay):
        with self.lock:
            self.faults.extend([(status, delay)] * count)

    def take_fault(self):
        with self.lock:
            return self.faults.pop(0) if self.faults else None


def created_between(items, spec, field="created"):
    """The items whose `field` matches Stripe's filter of a time: an integer, or a dict
    of `gt`, `gte`, `lt`, `lte` bounds (`created[gte]=...`)."""
    if spec in (None, "", {}):
        return items
    if not isinstance(spec, dict):
        moment = to_int(spec, field)
        return [item for item in items if item[field] == moment]
    bounds = []
    for name, value in spec.items():
        if name not in CREATED_BOUNDS:
            raise StripeError(
                f"Received unknown parameter: {field}[{name}]", param=f"{field}[{name}]"
            )
        bounds.append((CREATED_BOUNDS[name], to_int(value, f"{field}[{name}]")))
    return [item for item in items if all(test(item[field], b) for test, b in bounds)]


def _list_expand(params):
    """`expand[]=data.customer` on a list applies `customer` to each item."""
    paths = params.get("expand") or []
    return [p.removeprefix("data.") for p in paths if p.startswith("data.")]


def diff(before, after):
    """Stripe's `previous_attributes`: the old value of each top-level field that changed."""
    return {key: before.get(key) for key in after if before.get(key) != after[key]}


def snapshot(obj):
    return copy.deepcopy(objects.public(obj))


def wait_all(records, timeout):
    deadline = time.monotonic() + timeout
    for record in records:
        record.done.wait(max(0.0, deadline - time.monotonic()))
