"""What a new password must be (NIST SP 800-63B): 12 to 128 characters, not common, not personal, not reused."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from zxcvbn import zxcvbn

from portal.services.errors import InvalidValue
from portal.services.passwords import normalize_password as normalize_password  # now beside hashing; kept importable
from portal.services.passwords import verify_password

MIN_LENGTH = 12
MAX_LENGTH = 128
HISTORY_DEPTH = 8
# zxcvbn scores 0-4 from its offline lists of common passwords, names and words; below 3 is guessable.
MIN_STRENGTH = 3
_ESTIMATOR_MAX_LENGTH = 72


def check_new_password(
    password: str,
    *,
    sevis_id: str | None = None,
    email: str | None = None,
    site_name: str = "OPT Portal",
    previous_hashes: Iterable[str] = (),
) -> None:
    """Refuse a password that is too short or long, common, holds personal words, or is one of the last eight."""
    if password is None or password == "":
        raise InvalidValue("Enter a password.", field="password")
    if any(unicodedata.category(char) == "Cc" for char in password):
        raise InvalidValue(
            "The password cannot contain control characters such as tabs or line breaks.", field="password"
        )
    length = len(password)
    if length < MIN_LENGTH:
        raise InvalidValue(
            f"Use at least {MIN_LENGTH} characters. A few unrelated words make a good password.", field="password"
        )
    if length > MAX_LENGTH:
        raise InvalidValue(f"Use at most {MAX_LENGTH} characters.", field="password")
    folded = password.casefold()
    compact = "".join(folded.split())
    if sevis_id and sevis_id.casefold() in compact:
        raise InvalidValue("The password cannot contain your SEVIS ID.", field="password")
    if email:
        local_part = email.split("@", 1)[0].casefold()
        if len(local_part) >= 3 and local_part in compact:
            raise InvalidValue("The password cannot contain your email address or its first part.", field="password")
    site = "".join(site_name.casefold().split())
    if site and site in compact:
        raise InvalidValue(f"The password cannot contain the site's name, {site_name}.", field="password")
    _refuse_common(password)
    for previous in previous_hashes:
        if verify_password(previous, password):
            raise InvalidValue(
                f"You used this password before. Choose one that is not among your last {HISTORY_DEPTH}.",
                field="password",
            )


def _refuse_common(password: str) -> None:
    # The estimator is quadratic in length; a long password is not common, so judge its start only.
    result = zxcvbn(password[:_ESTIMATOR_MAX_LENGTH])
    if result["score"] >= MIN_STRENGTH:
        return
    warning = result["feedback"].get("warning") or "This password is too easy to guess."
    raise InvalidValue(
        f"{warning} Choose a less common password: three or four unrelated words work well.", field="password"
    )
