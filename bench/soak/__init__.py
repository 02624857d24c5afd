"""The soak and fault run (``make soak``): the real server at a fixed mixed rate for minutes,
PostgreSQL stopped, WeChat down and a projection worker killed on the way (docs/reliability.md).
"""
