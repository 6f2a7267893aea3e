"""Sign-in forms."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length


class SignInForm(FlaskForm):
    email = EmailField(
        "Email address",
        validators=[
            DataRequired("Enter your email address."),
            Length(max=254, message="An email address has at most 254 characters."),
        ],
    )
    password = PasswordField(
        "Password",
        validators=[
            DataRequired("Enter your password."),
            Length(max=128, message="A password has at most 128 characters."),
        ],
    )
