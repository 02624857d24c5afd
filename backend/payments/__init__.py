"""WeChat Pay fees (一键缴费): settings, the adapter's wiring, notifications and reconciliation."""
