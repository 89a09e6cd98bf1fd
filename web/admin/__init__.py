"""The committee office's web console at /admin: one blueprint (web/admin/base.py), one page module a feature."""
from web.admin import auth, org, pairing, reminders, reports, routing_learning, tasks  # noqa: F401 (routes)
from web.admin.base import bp

__all__ = ["bp"]
