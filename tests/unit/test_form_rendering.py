"""Form fields rendered cheaply give exactly the markup WTForms and the old macro gave."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup
from wtforms import widgets
from wtforms.widgets import core

from portal.forms.auth import SignInForm
from portal.forms.rendering import WTFORMS_HTML_PARAMS, html_params, input_attrs

attribute_names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_-<&\"'", min_size=1, max_size=12)
attribute_values = st.one_of(
    st.booleans(),
    st.none(),
    st.integers(),
    st.text(max_size=20),
    st.text(max_size=20).map(Markup),
    st.sampled_from(['a "quoted" value', "<script>", "&amp;", Markup('already "safe" &amp;')]),
)


@given(st.dictionaries(attribute_names, attribute_values, max_size=6))
def test_html_params_gives_what_wtforms_gives(attributes):
    assert html_params(**attributes) == WTFORMS_HTML_PARAMS(**attributes)
    assert isinstance(html_params(**attributes), Markup)


def test_the_widgets_use_the_fast_html_params(app):
    assert core.html_params is html_params and widgets.html_params is html_params
    assert core.Input.html_params is html_params and core.Button.html_params is html_params


def test_a_rendered_field_is_unchanged(app):
    with app.test_request_context("/"):
        field = SignInForm(meta={"csrf": False}).email
        rendered = field(class_="usa-input", autocomplete="username", data_x='say "hi"')
    assert rendered == (
        '<input autocomplete="username" class="usa-input" data-x="say &#34;hi&#34;" id="email" '
        'maxlength="254" name="email" required type="email" value="">'
    )


@pytest.mark.parametrize(
    ("base_class", "extra", "hint_id", "has_errors", "expected"),
    [
        ("usa-input", {}, None, False, {"class_": "usa-input"}),
        (
            "usa-input",
            {"class_": "wide", "hx_post": "/x", "data_y": "1"},
            "f-hint",
            False,
            {"class_": "usa-input wide", "hx-post": "/x", "data_y": "1", "aria-describedby": "f-hint"},
        ),
        (
            "usa-select",
            {},
            "f-hint",
            True,
            {"class_": "usa-select usa-input--error", "aria-invalid": "true", "aria-describedby": "f-hint f-error"},
        ),
        (
            "usa-checkbox__input",
            {},
            None,
            True,
            {"class_": "usa-checkbox__input", "aria-invalid": "true", "aria-describedby": "f-error"},
        ),
        (
            "usa-file-input__input",
            {},
            None,
            True,  # the drop zone's form group shows the error, not the hidden input
            {"class_": "usa-file-input__input", "aria-invalid": "true", "aria-describedby": "f-error"},
        ),
    ],
)
def test_input_attrs_merge_the_uswds_class_and_describe_hint_and_error(
    base_class, extra, hint_id, has_errors, expected
):
    assert input_attrs(base_class, extra, "f-error", hint_id, has_errors) == expected


def test_input_attrs_set_type_inputmode_and_autocomplete_when_given():
    attrs = input_attrs("usa-input", {}, "f-error", None, False, "text", "numeric", "postal-code")
    assert (attrs["type"], attrs["inputmode"], attrs["autocomplete"]) == ("text", "numeric", "postal-code")
