"""Small tools every domain uses and none owns: translations (`i18n`), typed callback data
(`callbacks`), dialog states (`dialogs`), Telegram's text limits in UTF-16 units (`text_limits`)
spreadsheet-safe CSV (`csv_safe`), the index every declared lifecycle builds from its table
(`rules`) and what the reminder sweeps of opinions and suggestions share (`reminders`). Nothing here
reads the database.
"""
