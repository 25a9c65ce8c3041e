"""Repositories, one module per aggregate: each adds, selects and flushes in the session it is given,
owns the SQL of its tables (statements built once, see `storage.fast`), and never commits — the unit
of work (`storage.unit_of_work`) does."""
