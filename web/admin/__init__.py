"""The committee office's web console at /admin: one blueprint (web/admin/base.py), one page module a feature."""
from web.admin import (auth, meetings, org, pairing, reminders, reports, roster, routing_learning,  # noqa: F401
                       tasks)  # routes
from web.admin.base import bp

__all__ = ["bp"]
