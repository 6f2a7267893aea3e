"""What the page tests share: the header htmx sends, so a test asks for the fragment a swap gets."""

HX = {"HX-Request": "true"}
