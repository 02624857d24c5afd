"""Authentication: WeChat login for citizens, passwords for staff, JWT bearer tokens."""
