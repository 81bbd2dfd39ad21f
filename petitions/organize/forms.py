"""The organizers' forms: they check and tidy input; organizing.py, accounts.py and the database decide."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, NumberRange, Optional, ValidationError

from .. import accounts, organizing
from ..forms import clean_line, clean_text, country_choices
from ..i18n import current_locale
from ..models import DemandStatus, Role
from ..models.types import utcnow

ROLE_LABELS = {
    Role.OWNER: _l("Owner: everything, and manages the team"),
    Role.ORGANIZER: _l("Organizer: edits petitions and moderates"),
    Role.VIEWER: _l("Viewer: reads and exports"),
}
STATUS_LABELS = {
    DemandStatus.OPEN: _l("Open"),
    DemandStatus.IN_PROGRESS: _l("In progress"),
    DemandStatus.WON: _l("Won"),
    DemandStatus.LOST: _l("Lost"),
}
LANGUAGE_NAMES = {"en": "English", "es": "Español"}


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(str(value), label) for value, label in labels.items()]


def _at_most(n: int):
    return Length(max=n, message=_l("Use at most %(max)d characters."))


class DayField(DateField):
    """A date (YYYY-MM-DD, as browsers send it) with our own message when it is not one."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("Give the date, like 2026-03-31.")) from None


class WholeNumberField(IntegerField):
    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("Give a whole number, like 2500.")) from None


class ActionForm(FlaskForm):
    """A button that changes something: nothing to fill in but the CSRF token."""


class LoginForm(FlaskForm):
    # Control characters dropped: no account's address has one, and PostgreSQL cannot compare NUL.
    email = EmailField(
        _l("Email address"), validators=[DataRequired(_l("Enter your email address."))], filters=[clean_line]
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))])


class PasswordForm(FlaskForm):
    password = PasswordField(
        _l("Choose a password"),
        validators=[
            DataRequired(_l("Choose a password.")),
            Length(
                min=accounts.MIN_PASSWORD_LENGTH,
                max=accounts.MAX_PASSWORD_LENGTH,
                message=_l("Use between %(min)d and %(max)d characters."),
            ),
        ],
    )
    confirm = PasswordField(
        _l("Type it again"), validators=[EqualTo("password", message=_l("The two passwords are not the same."))]
    )


class PetitionForm(FlaskForm):
    title = StringField(
        _l("Title"), validators=[DataRequired(_l("Give the petition a title.")), _at_most(200)], filters=[clean_line]
    )
    slug = StringField(_l("Web address"), validators=[DataRequired(_l("Choose a web address."))], filters=[clean_line])
    summary = TextAreaField(_l("Summary"), validators=[Optional(), _at_most(500)], filters=[clean_text])
    body = TextAreaField(_l("The campaign text"), validators=[Optional(), _at_most(50_000)], filters=[clean_text])
    goal = WholeNumberField(
        _l("Goal (signatures)"),
        default=1000,
        validators=[
            InputRequired(_l("Give a goal as a whole number.")),
            NumberRange(min=1, max=100_000_000, message=_l("Give a goal between 1 and 100,000,000.")),
        ],
    )
    default_country = SelectField(_l("Default country of the sign form"), default="US")
    default_locale = SelectField(_l("Language the petition is written in"), default="en")
    translated_title = StringField(_l("Title"), validators=[Optional(), _at_most(200)], filters=[clean_line])
    translated_summary = TextAreaField(_l("Summary"), validators=[Optional(), _at_most(500)], filters=[clean_text])
    translated_body = TextAreaField(
        _l("The campaign text"), validators=[Optional(), _at_most(50_000)], filters=[clean_text]
    )

    def __init__(self, *args, slug_fixed: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.slug_fixed = slug_fixed
        if slug_fixed:  # shown, not sent: links and embeds use it
            self.slug.validators = [Optional()]
        self.default_country.choices = [SelectChoice(code, name) for code, name in country_choices(current_locale())]
        self.default_locale.choices = _choices(LANGUAGE_NAMES)

    def validate_slug(self, field):
        if self.slug_fixed:
            return
        field.data = (field.data or "").lower()
        problem = organizing.slug_problem(field.data)
        if problem == "length":
            raise ValidationError(_l("Use between 3 and 80 characters."))
        if problem:
            raise ValidationError(_l("Use only lowercase letters, digits and single hyphens, like keep-lincoln-open."))

    def validate_default_country(self, field):
        if field.data not in {choice.value for choice in self.default_country.choices}:
            raise ValidationError(_l("Choose a country."))

    def petition_data(self, slug: str | None = None) -> organizing.PetitionData:
        return organizing.PetitionData(
            title=self.title.data,
            slug=slug or self.slug.data,
            summary=self.summary.data or "",
            body=self.body.data or "",
            goal=self.goal.data,
            default_country=self.default_country.data,
            default_locale=self.default_locale.data,
            translation={
                "title": self.translated_title.data or "",
                "summary": self.translated_summary.data or "",
                "body": self.translated_body.data or "",
            },
        )

    def fill_from(self, petition) -> None:
        """Show a petition's current texts (on a GET)."""
        translation = petition.translations.get(organizing.translation_locale(petition.default_locale))
        self.process(
            obj=petition,
            translated_title=getattr(translation, "title", ""),
            translated_summary=getattr(translation, "summary", ""),
            translated_body=getattr(translation, "body", ""),
        )


class DemandForm(FlaskForm):
    title = StringField(
        _l("Demand"), validators=[DataRequired(_l("Write the demand.")), _at_most(200)], filters=[clean_line]
    )
    explanation = TextAreaField(_l("Explanation"), validators=[Optional(), _at_most(5000)], filters=[clean_text])
    translated_title = StringField(_l("Demand"), validators=[Optional(), _at_most(200)], filters=[clean_line])
    translated_explanation = TextAreaField(
        _l("Explanation"), validators=[Optional(), _at_most(5000)], filters=[clean_text]
    )

    def demand_data(self) -> organizing.DemandData:
        return organizing.DemandData(
            title=self.title.data,
            explanation=self.explanation.data or "",
            translation={
                "title": self.translated_title.data or "",
                "explanation": self.translated_explanation.data or "",
            },
        )

    def fill_from(self, demand) -> None:
        translation = demand.translations.get(organizing.translation_locale(demand.petition.default_locale))
        self.process(
            obj=demand,
            translated_title=getattr(translation, "title", ""),
            translated_explanation=getattr(translation, "explanation", ""),
        )


class DemandUpdateForm(FlaskForm):
    status = SelectField(_l("Where the demand stands now"), choices=_choices(STATUS_LABELS))
    happened_on = DayField(
        _l("Date"), default=lambda: utcnow().date(), validators=[InputRequired(_l("Give the date, like 2026-03-31."))]
    )
    text = TextAreaField(
        _l("What happened"), validators=[DataRequired(_l("Write what happened.")), _at_most(1000)], filters=[clean_text]
    )
    link = StringField(_l("Link (optional)"), validators=[Optional(), _at_most(500)], filters=[clean_line])
    notify = BooleanField(_l("Email this update to the signers who asked for news"))

    def validate_happened_on(self, field):
        if field.data and field.data > utcnow().date():
            raise ValidationError(_l("The date cannot be in the future."))
        if field.data and field.data < date(1900, 1, 1):
            raise ValidationError(_l("Give the date, like 2026-03-31."))

    def validate_link(self, field):
        parts = urlsplit(field.data or "")
        if field.data and (parts.scheme not in ("http", "https") or not parts.netloc):
            raise ValidationError(_l("Give a full web address starting with https://."))


class MoveForm(FlaskForm):
    """Buttons that send one of a few values (a petition's state move, a demand's direction)."""

    move = SelectField(validators=[DataRequired()])

    def __init__(self, *args, moves=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.move.choices = [SelectChoice(str(value)) for value in moves]


class ModerateForm(FlaskForm):
    action = SelectField(choices=[SelectChoice("strike"), SelectChoice("restore")])
    reason = StringField(
        _l("Reason"), validators=[DataRequired(_l("Give a reason.")), _at_most(200)], filters=[clean_line]
    )
    back = HiddenField()


class BulkStrikeForm(FlaskForm):
    reason = StringField(
        _l("Reason"), validators=[DataRequired(_l("Give a reason.")), _at_most(200)], filters=[clean_line]
    )
    up_to = IntegerField(validators=[InputRequired(), NumberRange(min=0)])


class RemoveForm(FlaskForm):
    confirm = BooleanField(
        _l("The signer asked for their signature to be removed"),
        validators=[DataRequired(_l("Tick the box to say the signer asked for this."))],
    )
    back = HiddenField()


class GroupStrikeForm(FlaskForm):
    reason = StringField(
        _l("Reason"), validators=[DataRequired(_l("Give a reason.")), _at_most(200)], filters=[clean_line]
    )


class CityMapForm(FlaskForm):
    city = StringField(
        _l("The city it means"),
        validators=[DataRequired(_l("Give the city, like “Chicago, IL”.")), _at_most(200)],
        filters=[clean_line],
    )


class ReleaseForm(FlaskForm):
    up_to = IntegerField(validators=[InputRequired(), NumberRange(min=0)])


class MemberForm(FlaskForm):
    email = EmailField(
        _l("Email address"),
        validators=[DataRequired(_l("Enter an email address.")), _at_most(320)],
        filters=[clean_line],
    )
    role = SelectField(_l("Role"), choices=_choices(ROLE_LABELS), default=Role.ORGANIZER.value)

    def validate_email(self, field):
        try:
            field.data = accounts.normalize_email(field.data)
        except ValueError:
            raise ValidationError(_l("Enter an email address like name@example.org.")) from None


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=_choices(ROLE_LABELS))


class ImportForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Choose a CSV file."))])
    dry_run = BooleanField(_l("Dry run: check the file and report, store nothing"), default=True)
    skip_bad = BooleanField(_l("Skip bad rows and import the rest (otherwise one bad row stops the import)"))
