from __future__ import annotations

from towncc.cli import main

main()
