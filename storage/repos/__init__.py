"""Repositories, one module per aggregate: each adds, selects and flushes in the session it is given,
owns the SQL of its tables (statements built once, see `storage.fast`), and never commits — the unit
of work (`storage.unit_of_work`) does, and gives each as an attribute (`uow.people`, `uow.network`, …).

people (persons, roles, briefs) · network (stations, committees, groups, contact links) · opinions
(opinions, their timeline, subscribers, duties) · broadcasts · receptions · invitations · inbox ·
outbox · chats (dialog state) · audit · counters · open311 (the public Open311 reads) · calendar (the
congress's sessions, 届次/会议) · station_officers (heads and liaison officers) · stations (profiles,
"六有", inspectors, inspections, rectification items, station files); `base` holds what they share.
"""
