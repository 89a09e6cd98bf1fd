"""Import every model module so that Base.metadata knows all tables."""
from models import admin, delivery, menu, message, org, outbox, pairing, party, report, routing, schedule, task  # noqa: F401
