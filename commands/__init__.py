"""CLI commands, one click group per feature; bot.py adds each module's COMMANDS to the `cli` group."""
from commands import (admin, exports, meetings, menu, ops, org, outbox, pairing, reminders, roster, routing, tasks,
                      templates, wechat_api, worker)

MODULES = (org, outbox, tasks, routing, wechat_api, worker, menu, templates, admin, exports, reminders, ops, pairing,
           roster, meetings)
