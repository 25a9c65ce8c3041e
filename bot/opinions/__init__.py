"""The opinion loop's domain core: lifecycle (state machine), routing, SLA clocks and the service.

No Telegram types here: services take ids and return domain notifications for the caller to render.
"""
