"""Errors in the shape Stripe answers them, and the param checks that raise them.

Stripe's body is `{"error": {"type", "message", "param", "code", "doc_url"}}`, and
stripe-python picks its exception class from the HTTP status and `type`: 400/404 make
an `InvalidRequestError` (an `IdempotencyError` when `type` is `idempotency_error`), 401
an `AuthenticationError`, 5xx an `APIError`.
"""


class StripeError(Exception):
    def __init__(self, message, *, status=400, type="invalid_request_error", code=None, param=None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.type = type
        self.code = code
        self.param = param

    def body(self):
        error = {"type": self.type, "message": self.message}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param:
            error["param"] = self.param
        return {"error": error}


class StandinError(StripeError):
    """A control action the current state does not allow (paying a closed session...)."""


def missing(kind, object_id, param="id"):
    return StripeError(
        f"No such {kind}: '{object_id}'",
        status=404,
        code="resource_missing",
        param=param,
    )


def require(params, name):
    value = params.get(name)
    if value in (None, "", {}, []):
        raise StripeError(f"Missing required param: {name}.", code="parameter_missing", param=name)
    return value


def require_nested(params, name, prefix):
    value = params.get(name)
    if value in (None, "", {}, []):
        raise StripeError(
            f"Missing required param: {prefix}[{name}].",
            code="parameter_missing",
            param=f"{prefix}[{name}]",
        )
    return value


def to_int(value, param, *, minimum=None):
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise StripeError(
            f"Invalid integer: {value}", code="parameter_invalid_integer", param=param
        ) from None
    if minimum is not None and number < minimum:
        raise StripeError(
            f"This value must be greater than or equal to {minimum}.",
            code="parameter_invalid_integer",
            param=param,
        )
    return number


def to_bool(value, param):
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise StripeError(f"Invalid boolean: {value}", param=param)


def one_of(value, choices, param):
    if value not in choices:
        raise StripeError(
            f"Invalid {param}: must be one of {', '.join(choices)}",
            code="parameter_invalid_string",
            param=param,
        )
    return value


def as_dict(value, param):
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise StripeError(f"Invalid object: {param}", param=param)
    return value


def valid_url(params, name):
    """An http(s) URL, or None when absent; Stripe refuses anything else."""
    value = params.get(name)
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise StripeError("Not a valid URL", code="url_invalid", param=name)
    return value


def merge_metadata(current, update, param="metadata"):
    """Stripe's metadata update: keys are set, and an empty value deletes a key. Stripe's
    limits apply: 50 keys, keys up to 40 characters, values up to 500."""
    if update == "":
        return {}
    merged = dict(current)
    for key, value in as_dict(update, param).items():
        if len(key) > 40:
            raise StripeError(
                f"Metadata keys can have up to 40 characters; `{key}` has {len(key)}.",
                param=f"{param}[{key}]",
            )
        if value == "":
            merged.pop(key, None)
            continue
        if not isinstance(value, str) or len(value) > 500:
            raise StripeError(
                "Metadata values must be strings of up to 500 characters.",
                param=f"{param}[{key}]",
            )
        merged[key] = value
    if len(merged) > 50:
        raise StripeError("Metadata can have up to 50 keys.", param=param)
    return merged
