"""Account pages, one module per flow, all on the ``account`` blueprint (endpoints stay ``account.<view>``):
creation from the emailed link, self-service reset, the attestation, security settings (password change, signing
out everywhere) and two-step verification."""

from portal.routes.account import attestation, creation, reset, security, two_step  # noqa: F401  (each adds its pages)
from portal.routes.account.common import bp

__all__ = ["bp"]
