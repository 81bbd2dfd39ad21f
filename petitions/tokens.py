"""Signed links for signers, and the sign form's stamp: itsdangerous, keyed by SECRET_KEY.

Each purpose has its own salt, so a link made for one purpose (confirming) never works for
another (withdrawing). Links name a signature by id and by a keyed fingerprint of its address:
SQLite may give a deleted signature's id to a new one, and the fingerprint keeps an old link
from ever reaching someone else's signature.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer

from .models import Signature

CONFIRM = "signature-confirm"
WITHDRAW = "signature-withdraw"
UNSUBSCRIBE = "signature-unsubscribe"
SIGN_FORM = "sign-form-stamp"


class BadLink(Exception):
    """The link was not made by us, or was cut short."""


class ExpiredLink(BadLink):
    """The link was ours but is too old."""


def _timed(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=purpose)


def fingerprint(signature: Signature) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"signer\0" + signature.email_key.encode(), hashlib.sha256).hexdigest()[:16]


def signature_token(signature: Signature, purpose: str) -> str:
    return _timed(purpose).dumps([signature.id, fingerprint(signature)])


def read_signature_token(token: str, purpose: str, *, max_age: int | None = None) -> tuple[int, str]:
    """The (signature id, fingerprint) a link carries. Raises ExpiredLink or BadLink."""
    try:
        payload = _timed(purpose).loads(token, max_age=max_age)
    except SignatureExpired:
        raise ExpiredLink(purpose) from None
    except BadSignature:
        raise BadLink(purpose) from None
    match payload:
        case [int(signature_id), str(print_)]:
            return signature_id, print_
    raise BadLink(purpose)


def matches(signature: Signature | None, print_: str) -> bool:
    return signature is not None and hmac.compare_digest(fingerprint(signature), print_)


# --- The sign form's stamp ---------------------------------------------------------------------


def form_stamp(now: float | None = None) -> str:
    """When the sign form was shown, signed so that a bot cannot choose it."""
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SIGN_FORM).dumps(round(now or time.time(), 3))


def seconds_since_stamp(stamp: str | None, now: float | None = None) -> float | None:
    """Seconds since the form with this stamp was shown; None for a missing or forged stamp."""
    if not stamp:
        return None
    try:
        shown = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SIGN_FORM).loads(stamp)
    except BadSignature:
        return None
    if not isinstance(shown, int | float):
        return None
    return (now or time.time()) - shown
