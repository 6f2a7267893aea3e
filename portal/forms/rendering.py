"""Rendering form fields cheaply: the attributes macros/forms.html gives a field's input, and a faster
``html_params`` for WTForms' widgets. Both give exactly the markup they replace."""

from __future__ import annotations

from markupsafe import Markup, escape
from wtforms import widgets
from wtforms.widgets import core
from wtforms.widgets.core import clean_key

# WTForms' own, kept for the test that compares the two.
WTFORMS_HTML_PARAMS = core.html_params
# USWDS marks inputs, selects and textareas in error; a checkbox has none, and a file input's drop zone is marked by
# its form group (the input itself lies under the drop zone).
NO_ERROR_STYLE = frozenset({"usa-checkbox__input", "usa-file-input__input"})


def input_attrs(
    base_class: str,
    extra: dict,
    error_id: str,
    hint_id: str | None,
    has_errors: bool,
    type=None,
    inputmode=None,
    autocomplete=None,
) -> dict:
    """Keyword arguments for the WTForms widget: ``hx_`` keys hyphenated, ``class_`` added to the USWDS class,
    ``aria-describedby`` naming the hint and the error, ``aria-invalid`` on an error."""
    attrs = {
        (key.replace("_", "-") if key.startswith("hx_") else key): value
        for key, value in extra.items()
        if key != "class_"
    }
    classes = [base_class]
    if has_errors and base_class not in NO_ERROR_STYLE:
        classes.append("usa-input--error")
    if extra.get("class_"):
        classes.append(extra["class_"])
    attrs["class_"] = " ".join(classes)
    described = [hint_id] if hint_id else []
    if has_errors:
        described.append(error_id)
        attrs["aria-invalid"] = "true"
    if described:
        attrs["aria-describedby"] = " ".join(described)
    if type:
        attrs["type"] = type
    if inputmode:
        attrs["inputmode"] = inputmode
    if autocomplete:
        attrs["autocomplete"] = autocomplete
    return attrs


def html_params(**kwargs) -> Markup:
    """WTForms' ``html_params`` with the same output, without ``Markup.format`` (a ``string.Formatter`` per attribute).

    Every widget calls it for every attribute of every field; WTForms' own version is most of a field's
    rendering time. tests/unit/test_form_rendering.py compares the two on generated input.
    """
    params = []
    for key, value in sorted(kwargs.items()):
        key = clean_key(key)
        if value is True:
            params.append(escape(key))
        elif value is not False:
            params.append(f'{escape(key)}="{str(escape(value)).replace(chr(34), "&quot;")}"')
    return Markup(" ".join(params))  # noqa: S704 (every key and value above went through escape())


def use_fast_html_params() -> None:
    """Make WTForms' widgets use ``html_params`` above (the module functions and the widgets' own copies)."""
    core.html_params = html_params
    widgets.html_params = html_params
    for widget in (core.Input, core.Button):
        widget.html_params = staticmethod(html_params)
