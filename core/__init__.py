"""The kernel every part of towncc stands on, importing nothing of the project.

Settings, the Redis key layout and reply helpers, times, the normalised `Event` and
`DeadLetter`, and stop flags set by signals. The domain packages (layers, ingest, cases,
dashboard) import it; the app (`towncc`: CLI, server, supervisor, embedded Redis) sits on top.
"""
