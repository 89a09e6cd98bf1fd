"""CLI commands grouped per resource; bot.py registers each module's commands."""
from commands import org, outbox, routing_cmd, tasks, wechat_api

MODULES = (org, outbox, tasks, routing_cmd, wechat_api)
