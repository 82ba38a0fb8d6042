"""Account forms. Business rules live in services; forms check presence and shape."""

from __future__ import annotations

from typing import Any

from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length

from competitions.core.forms import BaseForm, CountryField, TimeZoneField
from competitions.core.i18n import language_name, languages
from competitions.core.translate import lazy_gettext as _l


def _current_password(label: Any = None, message: Any = None) -> Any:
    """A password the person already has (browsers offer the saved one); by default the
    current password asked before a change."""
    return PasswordField(
        _l("Current password") if label is None else label,
        validators=[
            InputRequired(_l("Enter your current password.") if message is None else message)
        ],
        render_kw={"autocomplete": "current-password"},
    )


def _new_password(label: Any, message: Any, description: Any) -> Any:
    """A password being chosen (browsers offer to generate one)."""
    return PasswordField(
        label,
        validators=[InputRequired(message)],
        description=description,
        render_kw={"autocomplete": "new-password"},
    )


class ProfileFields(BaseForm):
    display_name = StringField(
        _l("Your name"),
        validators=[DataRequired(_l("Enter your name.")), Length(max=120)],
        description=_l("Shown to your team and to the agencies you work with."),
        render_kw={"autocomplete": "name"},
    )
    # validate_choice=False: the service checks the value and says precisely what is wrong.
    country = CountryField(
        _l("Country of residence"),
        blank=_l("Select a country"),
        validators=[DataRequired(_l("Select your country of residence."))],
        validate_choice=False,
        description=_l("Tracks use it to decide which prizes you are eligible for."),
        render_kw={"autocomplete": "country"},
    )
    preferred_language = SelectField(_l("Preferred language"), validate_choice=False)
    timezone = TimeZoneField(
        _l("Time zone"),
        validate_choice=False,
        description=_l("Deadlines are shown in this zone as well as in each track's legal time."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.preferred_language.choices = [(c, language_name(c, c)) for c in languages()]


class RegisterForm(ProfileFields):
    email = EmailField(
        _l("Email address"),
        validators=[DataRequired(_l("Enter your email address."))],
        render_kw={"autocomplete": "email", "spellcheck": "false"},
    )
    password = _new_password(
        _l("Password"),
        _l("Choose a password."),
        _l("At least 10 characters. A few unrelated words make a strong password."),
    )

    field_order = ("email", "password", "display_name", "country", "preferred_language", "timezone")


class LoginForm(BaseForm):
    email = EmailField(
        _l("Email address"),
        validators=[DataRequired(_l("Enter your email address.")), Length(max=320)],
        render_kw={"autocomplete": "username", "spellcheck": "false"},
    )
    password = _current_password(_l("Password"), _l("Enter your password."))
    remember = BooleanField(_l("Keep me signed in on this device"))
    next = HiddenField()


class ForgotPasswordForm(BaseForm):
    email = EmailField(
        _l("Email address"),
        validators=[DataRequired(_l("Enter your email address.")), Length(max=320)],
        render_kw={"autocomplete": "email"},
    )


class ResetPasswordForm(BaseForm):
    password = _new_password(
        _l("New password"), _l("Choose a new password."), _l("At least 10 characters.")
    )


class ChangePasswordForm(BaseForm):
    current_password = _current_password()
    new_password = _new_password(
        _l("New password"),
        _l("Choose a new password."),
        _l("At least 10 characters. Other devices will be signed out."),
    )


class ChangeEmailForm(BaseForm):
    email = EmailField(
        _l("New email address"),
        validators=[DataRequired(_l("Enter your new email address."))],
        description=_l("We will send a confirmation link to this address."),
        render_kw={"autocomplete": "email"},
    )
    password = _current_password()


class ProfileForm(ProfileFields):
    pass


class ConfirmForm(BaseForm):
    """A form with no fields: a CSRF-protected button."""


class CodeForm(BaseForm):
    """A code from an authenticator app (or, at sign-in, a recovery code)."""

    code = StringField(
        _l("Code"),
        validators=[DataRequired(_l("Enter the code.")), Length(max=40)],
        render_kw={
            "autocomplete": "one-time-code",
            "inputmode": "numeric",
            "spellcheck": "false",
            "autocapitalize": "none",
        },
    )


class SecondStepForm(CodeForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(_l("Enter the code.")), Length(max=40)],
        description=_l(
            "The 6-digit code your authenticator app shows, or one of your recovery codes."
        ),
        render_kw={
            "autocomplete": "one-time-code",
            "spellcheck": "false",
            "autocapitalize": "none",
        },
    )


class PasswordAgainForm(BaseForm):
    """The current password, asked again before a change to how one signs in."""

    password = _current_password()


class PasskeyForm(BaseForm):
    """A new passkey: its name, and the browser's answer (filled in by ``passkeys.js``)."""

    name = StringField(
        _l("Name of this passkey"),
        validators=[Length(max=80)],
        description=_l("To tell your passkeys apart, for example: work laptop."),
    )
    credential = HiddenField()


class PasskeySignInForm(BaseForm):
    credential = HiddenField()
