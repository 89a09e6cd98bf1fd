"""Import every model module so that Base.metadata knows all tables."""
from models import (admin, delivery, joint, menu, message, org, outbox, pairing, party, report, routing,  # noqa: F401
                    schedule, task)
