"""Pure domain model of onewindow: aggregates, value objects and rules. No I/O here."""
