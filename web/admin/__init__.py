"""The committee office's web console at /admin: one blueprint (web/admin/base.py), one page module a feature."""
from web.admin import (auth, joint, joint_meetings, meetings, org, pairing, plans, reminders,  # noqa: F401
                       reports, roster, routing_learning, tasks)
from web.admin.base import bp

__all__ = ["bp"]
