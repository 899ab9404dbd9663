"""Fixed places of the town for the wall's map: telemetry stations whose feed sends no
position (a river gauge's SL 323 reading has none), and the bases of the teams cases are
dispatched to. One data file, `layers/data/sites.json`, checked on load: a mistake (a point
outside ±180/±90, an unknown key) is a configuration error that names the file.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from layers.town import DATA_DIR

SITES_FILE = DATA_DIR / "sites.json"
Lon = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
Lat = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Station(_Frozen):
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)
    lon_lat: tuple[Lon, Lat]


class Base(_Frozen):
    lon_lat: tuple[Lon, Lat]


class Sites(_Frozen):
    stations: dict[str, Station] = {}  # `<feed>:<station code>` → where it stands
    teams: dict[str, Base] = {}  # a team code of cases/data/routing.json → its base


@cache
def sites(path: Path = SITES_FILE) -> Sites:
    """The sites of the data file (none when it does not exist); ValueError if it is wrong."""
    if not path.exists():
        return Sites()
    data = json.loads(path.read_text(encoding="utf-8"))
    try:
        return Sites.model_validate({k: v for k, v in data.items() if not k.startswith("_")})
    except ValidationError as exc:
        raise ValueError(f"{path.name}: {exc}") from exc
