"""Site-wide notices shown above every page: announced maintenance, the forced password change."""

from __future__ import annotations


def site_notices() -> list[dict]:
    """Each notice is {"level", "heading", "text"}; the layout renders them as USWDS alerts."""
    notices: list[dict] = []
    return notices
