"""Field cleaning shared by the student's services: plain text, US addresses, phone numbers, dates."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from functools import lru_cache

import zipcodes
from email_validator import EmailNotValidError, validate_email

from portal.services.errors import InvalidValue

US_STATES = {
    "AL": "Alabama",
    "AK": "Alaska",
    "AZ": "Arizona",
    "AR": "Arkansas",
    "CA": "California",
    "CO": "Colorado",
    "CT": "Connecticut",
    "DE": "Delaware",
    "DC": "District of Columbia",
    "FL": "Florida",
    "GA": "Georgia",
    "HI": "Hawaii",
    "ID": "Idaho",
    "IL": "Illinois",
    "IN": "Indiana",
    "IA": "Iowa",
    "KS": "Kansas",
    "KY": "Kentucky",
    "LA": "Louisiana",
    "ME": "Maine",
    "MD": "Maryland",
    "MA": "Massachusetts",
    "MI": "Michigan",
    "MN": "Minnesota",
    "MS": "Mississippi",
    "MO": "Missouri",
    "MT": "Montana",
    "NE": "Nebraska",
    "NV": "Nevada",
    "NH": "New Hampshire",
    "NJ": "New Jersey",
    "NM": "New Mexico",
    "NY": "New York",
    "NC": "North Carolina",
    "ND": "North Dakota",
    "OH": "Ohio",
    "OK": "Oklahoma",
    "OR": "Oregon",
    "PA": "Pennsylvania",
    "RI": "Rhode Island",
    "SC": "South Carolina",
    "SD": "South Dakota",
    "TN": "Tennessee",
    "TX": "Texas",
    "UT": "Utah",
    "VT": "Vermont",
    "VA": "Virginia",
    "WA": "Washington",
    "WV": "West Virginia",
    "WI": "Wisconsin",
    "WY": "Wyoming",
    "AS": "American Samoa",
    "GU": "Guam",
    "MP": "Northern Mariana Islands",
    "PR": "Puerto Rico",
    "VI": "U.S. Virgin Islands",
}

# The largest id a row can have (an INTEGER column on PostgreSQL); a bigger number names no record.
MAX_ID = 2_147_483_647
ZIP_PATTERN = re.compile(r"(\d{5})(?:-?\d{4})?")
HTML_CHARACTERS = re.compile(r"[<>]")
INTERNATIONAL_PHONE = re.compile(r"\+[1-9]\d{7,14}")


def clean_text(
    value,
    *,
    field: str,
    label: str,
    max_length: int,
    required: bool = False,
    multiline: bool = False,
    no_digits: bool = False,
) -> str | None:
    """Trim one text value; refuses control characters, < and >, over-long and (when required) empty values."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        value = str(value)
    value = value.strip()
    if multiline:
        value = value.replace("\r\n", "\n")
    else:
        value = " ".join(value.split())
    if not value:
        if required:
            raise InvalidValue(f"Enter the {label}.", field=field)
        return None
    if len(value) > max_length:
        raise InvalidValue(
            f"The {label} can be at most {max_length} characters (you entered {len(value)}).", field=field
        )
    if "\ufffd" in value:
        raise InvalidValue(f"The {label} contains characters we could not read. Type it again.", field=field)
    allowed_controls = {"\n"} if multiline else set()
    if any(unicodedata.category(ch) in ("Cc", "Cs", "Co") and ch not in allowed_controls for ch in value):
        raise InvalidValue(f"Remove the invisible control characters from the {label}.", field=field)
    if HTML_CHARACTERS.search(value):
        raise InvalidValue(f"Remove the < and > characters from the {label}.", field=field)
    if no_digits and any(ch.isdigit() for ch in value):
        raise InvalidValue(f"The {label} cannot contain digits.", field=field)
    return value


def clean_state(value, *, field: str = "state") -> str:
    """A two-letter US state or territory code; refuses anything else."""
    code = (value or "").strip().upper() if isinstance(value, str) else ""
    if code not in US_STATES:
        raise InvalidValue("Choose a US state or territory.", field=field)
    return code


def clean_zip(value, *, state: str | None, field: str = "postal_code") -> str:
    """A five-digit ZIP code (ZIP+4 accepted, kept as five) that exists and lies in ``state``."""
    raw = (value or "").strip() if isinstance(value, str) else ""
    match = ZIP_PATTERN.fullmatch(raw)
    if not match:
        raise InvalidValue("Enter a 5-digit ZIP code, like 02110.", field=field)
    code = match.group(1)
    states = _states_of_zip(code)
    if not states:
        raise InvalidValue(f"ZIP code {code} does not exist. Check it.", field=field)
    if state is not None and state not in states:
        raise InvalidValue(
            f"ZIP code {code} is not in {US_STATES.get(state, state)}. Check the ZIP code and the state.", field=field
        )
    return code


@lru_cache(maxsize=4096)
def _states_of_zip(code: str) -> tuple[str, ...]:
    # The lookup scans the whole ZIP table (0.1 ms); people report the same few ZIP codes again and again.
    return tuple(place["state"] for place in zipcodes.matching(code))


def clean_digits(
    value,
    *,
    field: str,
    label: str,
    length: int | None = None,
    max_length: int | None = None,
    required: bool = False,
    example: str = "",
) -> str | None:
    """Digits only, after dropping spaces, dashes, dots and brackets people type."""
    raw = value if isinstance(value, str) else ("" if value is None else str(value))
    raw = raw.strip()
    if not raw:
        if required:
            raise InvalidValue(f"Enter the {label}.", field=field)
        return None
    digits = re.sub(r"[\s\-().]", "", raw)
    if not digits.isascii() or not digits.isdigit():
        raise InvalidValue(f"The {label} can contain only digits{example}.", field=field)
    if length is not None and len(digits) != length:
        raise InvalidValue(f"The {label} must be {length} digits{example}.", field=field)
    if max_length is not None and len(digits) > max_length:
        raise InvalidValue(f"The {label} can be at most {max_length} digits.", field=field)
    return digits


def clean_us_phone(value, *, field: str, label: str = "phone number", required: bool = False) -> str | None:
    """A 10-digit US phone number; a leading +1 or 1 is dropped."""
    raw = value.strip() if isinstance(value, str) else ("" if value is None else str(value))
    if raw.startswith("+1"):
        raw = raw[2:]
    digits = clean_digits(raw, field=field, label=label, required=required, example=", like 617 555 0100")
    if digits is None:
        return None
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10:
        raise InvalidValue(f"The {label} must be 10 digits, like 617 555 0100.", field=field)
    return digits


def clean_phone(raw) -> str:
    """A US number as 10 digits, or an international one as + and 8 to 15 digits."""
    text = (raw or "").strip() if isinstance(raw, str) else ""
    if not text:
        raise InvalidValue("Enter your phone number.", field="phone")
    compact = re.sub(r"[\s\-().]", "", text)
    if compact.startswith("+") and not compact.startswith("+1"):
        if not compact.isascii() or not INTERNATIONAL_PHONE.fullmatch(compact):
            raise InvalidValue(
                "Enter an international number as + and the country code, like +44 20 7946 0958.", field="phone"
            )
        return compact
    digits = compact.removeprefix("+")
    if not digits.isascii() or not digits.isdigit():
        raise InvalidValue(
            "A phone number can contain only digits, spaces and dashes, like 617 555 0100.", field="phone"
        )
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10:
        raise InvalidValue("Enter a 10-digit US phone number, like 617 555 0100.", field="phone")
    return digits


def bounded_int(value, *, minimum: int = 0, maximum: int = MAX_ID) -> int | None:
    """A whole number written in plain digits within [minimum, maximum], or None for anything else (a value too big for
    any column, a sign, a blank); never converts more digits than ``maximum`` has, so no value can overflow."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    else:
        text = str(value or "").strip()
        if not text.isascii() or not text.isdigit() or len(text) > len(str(maximum)):
            return None
        number = int(text)
    return number if minimum <= number <= maximum else None


def clean_int(value, *, field: str, label: str, minimum: int = 0, maximum: int = MAX_ID) -> int:
    """A whole number for a form field; refuses anything else, or one out of range, on the field."""
    number = bounded_int(value, minimum=minimum, maximum=maximum)
    if number is None:
        raise InvalidValue(f"Choose the {label} from the list.", field=field)
    return number


def email_address(value) -> str | None:
    """One email address, lower-cased, or None for anything else: a list (commas), a display name, a quoted or IP
    part, a missing domain. Every form, service and feed record that takes an address asks this, so a typed value
    can never become several SMTP recipients."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > 254:
        return None
    try:
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        return None
    return checked.normalized.lower()


def clean_email(
    value, *, field: str, label: str = "email address", max_length: int = 254, required: bool = False
) -> str | None:
    """Trim and lower-case one email address; refuses anything email-validator does not take as a single address."""
    text = clean_text(value, field=field, label=label, max_length=max_length, required=required)
    if text is None:
        return None
    address = email_address(text)
    if address is None:
        raise InvalidValue(f"Enter the {label} like name@example.com.", field=field)
    return address


def clean_date(value, *, field: str, label: str, required: bool = False) -> date | None:
    """A date object or an ISO date string (what a date input sends)."""
    if value is None or value == "":
        if required:
            raise InvalidValue(f"Enter the {label}.", field=field)
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidValue(f"Enter the {label} as a real date, like 2026-03-31.", field=field) from None
