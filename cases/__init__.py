"""The case engine: events → cases, routed, clocked and projected into Redis."""
