"""Compose the routers in their fixed order: first match wins."""
from __future__ import annotations

from handlers import (common, fallback, joint, joint_agenda, meetings, member, menu, office, pairing, reports, review,
                      secretary)
from handlers.router import Router


def build_router() -> Router:
    root = Router("root")
    for module in (joint, joint_agenda, review, pairing, meetings, common, secretary, office, reports, menu, member,
                   fallback):
        root.include(module.router)
    return root
