"""Every table, imported once so Alembic and the tests see the whole metadata."""

from app.integrations.models import Integration
from app.vendors.models import Vendor

__all__ = ["Integration", "Vendor"]
