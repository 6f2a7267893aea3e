"""What a new password must be (NIST SP 800-63B): 12 to 128 characters, not common, not personal, not the current
password nor the one before it."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from zxcvbn import zxcvbn

from portal.services.errors import InvalidValue
from portal.services.passwords import normalize_password as normalize_password  # now beside hashing; kept importable
from portal.services.passwords import verify_password

MIN_LENGTH = 12
MAX_LENGTH = 128
# SP 800-63B asks for no password history; a change is forced when a password may be known to someone else, and
# that is the current one (and, after two forced changes close together, the one before). Each stored password
# checked costs a full argon2 run, so the history is these two (docs/rules.md, rule 18).
HISTORY_DEPTH = 2
# zxcvbn scores 0-4 from its offline lists of common passwords, names and words; below 3 is guessable.
MIN_STRENGTH = 3
_ESTIMATOR_MAX_LENGTH = 72


def check_new_password(
    password: str,
    *,
    sevis_id: str | None = None,
    email: str | None = None,
    site_name: str = "OPT Portal",
    current_password: str | None = None,
    current_hash: str | None = None,
    earlier_hashes: Sequence[str] = (),
) -> None:
    """Refuse a password that is too short or long, common, holds personal words, or is the current one or the one
    before it.

    ``current_password`` is the current password as typed in the same form and already verified: compared as text,
    it costs no hash. Without it, ``current_hash`` is checked. ``earlier_hashes`` are the ones before, newest first.
    """
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
    _refuse_reuse(password, current_password, current_hash, earlier_hashes)


def _refuse_reuse(
    password: str, current_password: str | None, current_hash: str | None, earlier_hashes: Sequence[str]
) -> None:
    if current_password is not None:
        is_current = normalize_password(current_password) == normalize_password(password)
    else:
        is_current = verify_password(current_hash, password)
    if is_current:
        raise InvalidValue(
            "This is your current password. Choose a new one that you have not used here before.", field="password"
        )
    for earlier in earlier_hashes[: HISTORY_DEPTH - 1]:
        if verify_password(earlier, password):
            raise InvalidValue(
                "You used this password before. Choose a new one that you have not used here before.", field="password"
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
