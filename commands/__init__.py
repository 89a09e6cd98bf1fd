"""CLI commands grouped per resource; bot.py registers each module's commands."""
from commands import (admin, meetings, menu, ops, org, outbox, pairing, roster, routing_cmd, schedule, tasks,
                      wechat_api, worker)

MODULES = (org, outbox, tasks, routing_cmd, wechat_api, worker, menu, admin, schedule, ops, pairing, roster, meetings)
