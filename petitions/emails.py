"""What each email to a signer says. Rendered when sent: in the signer's language, links from BASE_URL."""

from __future__ import annotations

from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from flask import current_app, render_template
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l

from . import tokens
from .links import absolute_url
from .models import Demand, DemandStatus, MailKind, OutboxMessage, Signature, SignatureState
from .models.types import utcnow

DEMAND_STATUS = {
    DemandStatus.OPEN: _l("Open"),
    DemandStatus.IN_PROGRESS: _l("In progress"),
    DemandStatus.WON: _l("Won"),
    DemandStatus.LOST: _l("Lost"),
}


def still_wanted(message: OutboxMessage) -> bool:
    """Whether the email still makes sense now that its turn has come."""
    signature = message.signature
    if message.kind is MailKind.CONFIRM:
        return signature.confirmed_at is None and signature.state in (SignatureState.PENDING, SignatureState.SUSPICIOUS)
    if message.kind is MailKind.DEMAND_UPDATE:
        return signature.state is SignatureState.CONFIRMED and signature.updates_opt_in
    return signature.state is not SignatureState.STRUCK


def render(message: OutboxMessage) -> EmailMessage | None:
    """The email as it goes out, or None when it is no longer wanted."""
    if not still_wanted(message):
        return None
    signature = message.signature
    with force_locale(signature.locale):
        context = _context(message, signature)
        if context is None:
            return None
        subject = context["subject"]
        text = render_template(f"email/{message.kind.value}.txt", **context)
        html = render_template(f"email/{message.kind.value}.html", **context)
    recipient = _recipient(signature)
    # An address with a non-ASCII mailbox name can only travel as SMTPUTF8 (RFC 6531).
    email = EmailMessage(policy=policy.default if recipient.username.isascii() else policy.SMTPUTF8)
    sender = current_app.config["MAIL_FROM"]
    email["Subject"] = subject
    email["From"] = sender
    email["To"] = recipient
    email["Date"] = format_datetime(utcnow())
    email["Message-ID"] = make_msgid(domain=parseaddr(sender)[1].rpartition("@")[2] or None)
    email["Auto-Submitted"] = "auto-generated"  # no vacation replies, please
    if "unsubscribe_url" in context:
        # RFC 8058: mail programs offer their own unsubscribe button, which POSTs here.
        email["List-Unsubscribe"] = f"<{context['unsubscribe_url']}>"
        email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email.set_content(text)
    email.add_alternative(html, subtype="html")
    return email


def _recipient(signature: Signature) -> Address:
    """The signer's name and address; an international domain is written in ASCII (IDNA) where it can be."""
    username, _, domain = signature.email.rpartition("@")
    if username.isascii() and not domain.isascii():
        domain = domain.encode("idna").decode("ascii")
    return Address(display_name=signature.name, username=username, domain=domain)


def _context(message: OutboxMessage, signature: Signature) -> dict | None:
    petition = signature.petition
    locale = signature.locale
    title = petition.text("title", locale)
    context = {
        "kind": message.kind.value,
        "locale": locale,
        "first_name": signature.first_name,
        "title": title,
        "title_lang": petition.text_locale("title", locale),
        "coalition": petition.coalition.name,
        "petition_url": absolute_url("public.petition", slug=petition.slug, lang=locale),
        "privacy_url": absolute_url("public.privacy", lang=locale),
        "withdraw_url": absolute_url(
            "public.withdraw", slug=petition.slug, token=tokens.signature_token(signature, tokens.WITHDRAW), lang=locale
        ),
    }
    if message.kind is MailKind.CONFIRM:
        context["subject"] = gettext("Please confirm your signature: %(title)s", title=title)
        context["days"] = current_app.config["CONFIRMATION_LINK_DAYS"]
        context["confirm_url"] = absolute_url(
            "public.confirm", slug=petition.slug, token=tokens.signature_token(signature, tokens.CONFIRM), lang=locale
        )
    elif message.kind is MailKind.ALREADY_SIGNED:
        context["subject"] = gettext("You have already signed: %(title)s", title=title)
    else:
        demand = next((d for d in petition.demands if d.id == message.payload.get("demand_id")), None)
        if demand is None:
            return None
        context.update(_update_context(message, signature, demand))
    return context


def _update_context(message: OutboxMessage, signature: Signature, demand: Demand) -> dict:
    locale = signature.locale
    demand_title = demand.text("title", locale)
    return {
        "subject": gettext("News on “%(demand)s”", demand=demand_title),
        "demand_title": demand_title,
        "demand_lang": demand.text_locale("title", locale),
        "status": str(DEMAND_STATUS[demand.status]),
        "update_text": message.payload.get("text", ""),
        "update_link": _web_link(message.payload.get("link")),
        "unsubscribe_url": absolute_url(
            "public.unsubscribe",
            slug=signature.petition.slug,
            token=tokens.signature_token(signature, tokens.UNSUBSCRIBE),
            lang=locale,
        ),
    }


def _web_link(link: str | None) -> str:
    """An organizer's link, if it is a web address (never javascript: or the like)."""
    return link if isinstance(link, str) and link.startswith(("https://", "http://")) else ""
