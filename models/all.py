"""Import every model module so that Base.metadata knows all tables."""
from models import message, org, outbox, task  # noqa: F401
