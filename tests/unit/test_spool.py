from __future__ import annotations

import stat
from pathlib import Path

import pytest

from ingest.spool import Spool, SpoolBusyError


def entries(first: int, count: int) -> list[tuple[str, dict[str | bytes, str | bytes]]]:
    return [
        ("events", {"n": str(n), "e": f"payload {n} ✓".encode()})
        for n in range(first, first + count)
    ]


def test_entries_come_back_in_order_exactly(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.append(entries(0, 7))
    spool.append(entries(7, 5))
    got = spool.chunk(0, 5) + spool.chunk(5, 5) + spool.chunk(10, 5)
    assert got == entries(0, 12)
    assert spool.chunk(3, 2) == entries(3, 2), "any start, not only where the last chunk ended"
    spool.close()


def test_a_restarted_process_adopts_the_spool_and_clear_starts_a_new_generation(
    tmp_path: Path,
) -> None:
    spool = Spool(tmp_path)
    spool.append(entries(0, 3))
    first_generation = spool.generation
    spool.close()
    again = Spool(tmp_path)
    assert (again.lines, again.generation) == (3, first_generation)
    again.clear()
    assert again.lines == 0
    assert again.generation != first_generation
    again.close()


def test_one_owner_per_folder(tmp_path: Path) -> None:
    owner = Spool(tmp_path)
    with pytest.raises(SpoolBusyError, match="owned by another process"):
        Spool(tmp_path)
    owner.close()
    Spool(tmp_path).close()


def test_the_spool_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    folder = tmp_path / "spool"
    folder.mkdir(mode=0o755)  # made before, with a looser mode: tightened
    spool = Spool(folder)
    spool.append(entries(0, 3))
    spool.clear()
    spool.append(entries(3, 2))  # a new generation, made by append
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in [folder, *folder.iterdir()]}
    assert len(modes) == 3  # the folder, its lock and the current generation
    assert modes.pop("spool") == 0o700
    assert set(modes.values()) == {0o600}, modes
    spool.close()
