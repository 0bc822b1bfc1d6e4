"""Every table of the notify service, imported so that they are all in ``metadata`` (the
runtime, the migrations and the tests see one complete schema)."""

from services.notify.contacts.models import Contact
from services.notify.delivery.models import Delivery, DeliveryAttempt
from services.notify.models import Notice, metadata
from services.notify.templates.models import MessageTemplate

MODELS = (Notice, Contact, Delivery, DeliveryAttempt, MessageTemplate)

__all__ = ["MODELS", "metadata"]
