"""Telegram handlers: parse an update, check who may act, call one service, render one reply."""
