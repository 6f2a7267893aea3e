"""Numbers, sizes, phone numbers and states in the words a person reads."""

from __future__ import annotations

from portal.services.clock import long_date
from portal.services.timeline import OptState, OptView

_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def number_in_words(number: int) -> str:
    """0 to 9999 in English words ("one hundred fifty"), for the meter's text alternative."""
    if number < 0:
        return "minus " + number_in_words(-number)
    if number < 20:
        return _ONES[number]
    if number < 100:
        tens, ones = divmod(number, 10)
        return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")
    if number < 1000:
        hundreds, rest = divmod(number, 100)
        return f"{_ONES[hundreds]} hundred" + (f" {number_in_words(rest)}" if rest else "")
    thousands, rest = divmod(number, 1000)
    return f"{number_in_words(thousands)} thousand" + (f" {number_in_words(rest)}" if rest else "")


def phone_number(phone: str | None) -> str:
    """A stored phone number as people write it: "(617) 555-0100" for 10 US digits, an international one as stored."""
    if not phone:
        return ""
    if len(phone) == 10 and phone.isdigit():
        return f"({phone[:3]}) {phone[3:6]}-{phone[6:]}"
    return phone


def file_size(size_bytes: int | None) -> str:
    """A file's size rounded for reading ("820 bytes", "14 KB", "2.4 MB"); never "0 KB" for a small file."""
    size = size_bytes or 0
    if size < 1024:
        return "1 byte" if size == 1 else f"{size:,} bytes"
    if size < 1024 * 1024:
        return f"{round(size / 1024):,} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def opt_state_in_words(opt: OptView) -> str:
    """An OPT's state on the timeline's day, as the student reads it ("Valid until May 31, 2026")."""
    facts = opt.facts
    match opt.state:
        case OptState.PENDING:
            return "Pending: waiting for a decision"
        case OptState.APPROVED:
            return f"Approved; starts on {long_date(opt.start)}"
        case OptState.IN_VALIDITY:
            return f"Approved; valid until {long_date(facts.last_valid_day)}"
        case OptState.ENDED:
            return f"Ended on {long_date(opt.end)}"
        case OptState.COMPLETED_EARLY:
            return f"Ended early, on {long_date(facts.last_valid_day)}"
        case OptState.DENIED:
            return "Denied"
        case OptState.CANCELLED:
            return "Cancelled: your program record ended"
    return str(opt.state)
