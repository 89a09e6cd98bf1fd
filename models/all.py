"""Import every model module so that Base.metadata knows all tables."""
from models import admin, delivery, joint, message, org, outbox, pairing, party, report, schedule, task  # noqa: F401
