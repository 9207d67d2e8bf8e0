"""Decoding of the bracketed form bodies that Stripe's API accepts.

stripe-python sends every v1 request as `application/x-www-form-urlencoded`, nesting
with brackets: `metadata[campaign]=x`, `expand[0]=payment_intent`,
`line_items[0][price_data][recurring][interval]=month`. Other clients (curl, browsers)
write lists as `expand[]=a&expand[]=b`. `decode_form` turns either into plain dicts and
lists, with every leaf left as the string it was sent as, the way Stripe reads them.
"""

import re
from urllib.parse import parse_qsl

_BRACKET = re.compile(r"\[([^\[\]]*)\]")


class FormError(ValueError):
    """A body whose keys contradict each other (`a=1&a[b]=2`)."""

    def __init__(self, message, param):
        super().__init__(message)
        self.param = param


def decode_form(body):
    """Returns the nested params of a form-encoded body (str or bytes)."""
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    tree = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        _assign(tree, _split_key(key), value, key)
    return _listify(tree)


def _split_key(key):
    head, bracket, rest = key.partition("[")
    if not bracket:
        return [key]
    rest = "[" + rest
    parts = _BRACKET.findall(rest)
    # A key such as `a[b` is not bracket syntax; keep it whole, as Stripe does.
    if "".join(f"[{part}]" for part in parts) != rest:
        return [key]
    return [head, *parts]


def _assign(tree, parts, value, raw_key):
    node = tree
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        if part == "":
            # `expand[]=a&expand[]=b`: each empty index appends.
            part = str(len(node))
        if last:
            if isinstance(node.get(part), dict):
                raise FormError(f"Invalid hash: {raw_key}", raw_key)
            node[part] = value
        else:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise FormError(f"Invalid hash: {raw_key}", raw_key)
            node = child


def _listify(node, parent_key=None):
    """Turns `{"0": a, "1": b}` into `[a, b]`, everywhere except inside metadata."""
    if not isinstance(node, dict):
        return node
    converted = {key: _listify(value, key) for key, value in node.items()}
    # Metadata keys are free text and may well be digits; they stay a dict.
    if parent_key != "metadata" and converted and all(k.isdigit() for k in converted):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted
