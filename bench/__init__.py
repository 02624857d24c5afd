"""``make bench``: onewindow measured against the stock eventsourcing application.

Every figure is a ratio of two things measured in the same run on the same fresh embedded
PostgreSQL (normal durability, fsync on). See docs/performance.md for the latest results.
"""
