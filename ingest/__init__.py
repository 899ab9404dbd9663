"""Intake: native upstream payloads → normalised Events (or dead letters) → Redis stream."""
