"""Queries: read models first, the event store only for history."""
