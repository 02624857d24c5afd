"""Courier delivery of results: settings, adapters' wiring, courier orders and their booking."""
