"""Notices from staff to deputies: the audience, the notice's lifecycle, scheduling, sending through
the outbox at Telegram's pace, and the progress message staff watch."""
