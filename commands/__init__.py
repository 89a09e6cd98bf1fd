"""CLI commands, one click group per feature; bot.py adds each module's COMMANDS to the `cli` group."""
from commands import (admin, exports, menu, ops, org, outbox, pairing, routing_cmd, schedule, tasks, wechat_api,
                      worker)


MODULES = (org, outbox, tasks, routing_cmd, wechat_api, worker, menu, admin, exports, schedule, ops, pairing)
