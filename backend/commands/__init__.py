"""Command handlers: load the aggregate, call the domain, save; one transaction each."""
