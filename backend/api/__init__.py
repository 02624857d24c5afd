"""HTTP controllers: parse, call a command or query, return a DTO."""
