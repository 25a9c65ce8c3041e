"""The opinion loop's domain core: lifecycle (state machine), routing, SLA clocks, the service, and
whom an opinion may be given to (`candidates`: one ranking for transfer, /queue, /overdue, the console).

No Telegram types here: services take ids and return domain notifications for the caller to render.
"""
