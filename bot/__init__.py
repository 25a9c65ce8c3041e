"""Liaison (代表联络助手): links people's-congress deputies with the people they represent."""

__version__ = "0.1.0"
