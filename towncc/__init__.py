"""towncc: the real-time command centre of a Chinese township."""

from __future__ import annotations

__version__ = "0.1.0"
