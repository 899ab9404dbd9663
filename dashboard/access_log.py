"""The web server's access log without secrets: a screen opens `/wall?token=<wall token>`, and
uvicorn's access log (on when it is started as `uvicorn --factory towncc.server:asgi`) would
keep that token in the request line. Every logged request line goes through the redaction
the stored payloads go through (ingest/redact.py)."""

from __future__ import annotations

import logging

from ingest.redact import Redactor

ACCESS_LOGGER = "uvicorn.access"
_REDACT = Redactor()


class SecretsOutOfRequestLines(logging.Filter):
    """Masks secret-named query values (token=, api_key=…) in uvicorn's access records, whose
    arguments are (client, method, path with query, HTTP version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], _REDACT(args[2]), *args[3:])
        return True


def keep_secrets_out_of_access_log() -> None:
    """Installs the filter once on uvicorn's access logger (idempotent)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, SecretsOutOfRequestLines) for f in logger.filters):
        logger.addFilter(SecretsOutOfRequestLines())
