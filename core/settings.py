"""The one settings object: read once at start-up and passed down."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from pydantic import AwareDatetime, ByteSize, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

LAYERS_DATA = Path(__file__).resolve().parent.parent / "layers" / "data"
CASES_DATA = Path(__file__).resolve().parent.parent / "cases" / "data"
RATE = r"^[1-9][0-9]{0,8}/(second|minute|hour|day)$"


class Settings(BaseSettings):
    """Every knob of towncc; environment variables are prefixed TOWNCC_ (REDIS_URL and PORT too)."""

    model_config = SettingsConfigDict(env_prefix="TOWNCC_", extra="ignore")

    redis_url: str | None = Field(
        default=None,
        validation_alias="REDIS_URL",
        description="Redis to use; when unset the CLI starts an embedded server.",
    )
    key_prefix: str = Field(default="towncc:", description="Prefix of every Redis key.")
    data_dir: Path = Field(default=Path("var"), description="Embedded Redis data and spool.")
    host: str = Field(default="127.0.0.1", description="Address the web server binds to.")
    port: int = Field(default=8050, validation_alias="PORT", description="Web server port.")
    allowed_hosts: list[str] = Field(
        default_factory=lambda: ["127.0.0.1", "localhost", "::1"],
        description="The names the web server answers to (the Host header, without its port; "
        "JSON list, `*.example.org` for subdomains); any other gets 400, so a page of another "
        "site cannot reach it through DNS rebinding. Add the names people and feeds use.",
    )
    town_name: str = Field(default="霞客镇", description="Town name on the wall (Chinese).")
    town_name_en: str = Field(default="Xiake Town", description="Town name in English.")
    grids_l1_path: Path = Field(
        default=LAYERS_DATA / "grids_l1.geojson",
        description="Level-1 grids (villages), any OGR format.",
    )
    grids_l2_path: Path = Field(
        default=LAYERS_DATA / "grids_l2.geojson", description="Level-2 grids, any OGR format."
    )
    roster_path: Path = Field(
        default=LAYERS_DATA / "roster.json", description="一长五员 roster of each level-2 grid."
    )
    population_path: Path = Field(
        default=LAYERS_DATA / "population.csv",
        description="Residents (常住) and registered people (户籍) of each level-2 grid (CSV).",
    )
    emergency_places_path: Path = Field(
        default=LAYERS_DATA / "emergency.geojson",
        description="Vulnerable sites, shelters and resources (points, any OGR format).",
    )
    stream_maxlen: int = Field(default=1_000_000, description="Approximate cap of each stream.")
    stream_max_age_days: float = Field(
        default=30.0,
        ge=0,
        description="Stream entries older than this many days are trimmed (0: by count only).",
    )
    redis_maxmemory: ByteSize = Field(
        default=ByteSize(2 * 1024**3),
        gt=0,
        description="maxmemory of the embedded Redis (e.g. `2GiB`), policy noeviction.",
    )
    access_control: bool = Field(
        default=True,
        description="Every route asks who is calling (access/policy.py's table): sign-in "
        "sessions, API tokens, a wall token for screens. false opens every route to anyone "
        "who can reach the server (docs/security.md).",
    )
    secure_cookies: bool = Field(
        default=False, description="Session cookies only over HTTPS (set behind a TLS proxy)."
    )
    ingest_tokens: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="Per-feed intake tokens (JSON object feed → token), read only with "
        "access_control off: a feed listed here then needs `Authorization: Bearer <token>`.",
    )
    max_body_bytes: int = Field(default=5_000_000, description="Largest accepted ingest body.")
    write_rate: str = Field(
        default="60/minute",
        pattern=RATE,
        description="Writes one caller (a user or a token) may make through the web (case "
        "actions, sign-outs; not the intake): `N/second|minute|hour|day`, a moving window; "
        "over it, 429 with `Retry-After`.",
    )
    sign_in_rate: str = Field(
        default="20/minute",
        pattern=RATE,
        description="Sign-in tries from one address, whatever names they give; over it, 429 "
        "with `Retry-After` (behind a proxy uvicorn trusts, `FORWARDED_ALLOW_IPS`, the "
        "address is the client's from `X-Forwarded-For`).",
    )
    parse_processes: int = Field(
        default=2,
        ge=0,
        description="Worker processes that parse large intake bodies off the web process's "
        "event loop; 0 parses them in a thread instead.",
    )
    parse_inline_bytes: int = Field(
        default=65_536,
        ge=0,
        description="Intake bodies up to this size are parsed on the event loop (no hop).",
    )
    ingest_earliest: AwareDatetime = Field(
        default=datetime(2000, 1, 1, tzinfo=UTC),
        description="Earliest plausible time of a record; earlier is dead-lettered.",
    )
    ingest_ahead: timedelta = Field(
        default=timedelta(days=1),
        ge=timedelta(0),
        description="How far after its arrival a record's time may lie; later is dead-lettered.",
    )
    deadletter_budget_bytes: int = Field(
        default=128 * 1024 * 1024,
        ge=64 * 1024,
        description="Bytes the dead-letter stream may hold; the oldest are trimmed beyond it.",
    )
    wall_max_rows: int = Field(default=500, description="Rows kept in the wall's queue.")
    wall_max_points: int = Field(default=3000, description="Case points kept on the wall map.")
    wall_reload_at: str | None = Field(
        default=None,
        pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
        description="Beijing time (HH:MM) of the wall's daily quiet reload; unset: never.",
    )
    wall_panel_rotate_s: float = Field(
        default=15.0,
        gt=0,
        description="Seconds each page of the wall's module panels shows when they do not all fit.",
    )
    map_tile_url: str | None = Field(default=None, description="Optional raster tile URL template.")
    simulate_rate: float | None = Field(
        default=None,
        ge=0,
        description="A flat rate of new simulated urban records per second, to stress; unset: "
        "the town's own (about 320 a day by the hour and the weekday).",
    )
    simulate_speed: float = Field(
        default=1.0, ge=0, description="Every simulated report feed's daily rate, times this."
    )
    demo_history_hours: float = Field(
        default=30.0,
        ge=0,
        le=72,
        description="The hours before its first start that `towncc demo` runs through the "
        "pipeline on a fast clock (`towncc warmup`), so it opens on a working day; 0: none.",
    )
    simulate_tokens: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="The simulator's feed tokens (JSON object feed → token), sent as "
        "`Authorization: Bearer`; `towncc demo` hands it the demo's.",
    )
    engine_batch: int = Field(default=500, description="Stream entries the engine applies at once.")
    engine_consumer: str = Field(default="engine-1", description="Engine consumer name.")
    holiday_arrangements_path: Path = Field(
        default=CASES_DATA / "holidays.toml",
        description="The State Council's yearly holiday and 调休 arrangements (TOML), over "
        "the chinese-calendar package's.",
    )
    outside_alerts: bool = Field(
        default=False,
        description="Show CAP alerts whose area does not touch the town (marked as outside) "
        "on the screens; off: they are kept but shown nowhere.",
    )
    notice_ack_minutes: float = Field(
        default=10.0,
        gt=0,
        description="Minutes a person notified of an incident has to acknowledge; then the "
        "notice is sent again and the village's leader is told.",
    )
    public_url: str = Field(
        default="",
        description="The centre's address as people's phones reach it (e.g. "
        "`https://towncc.example.gov.cn`): a notice's acknowledgement link. Empty: no link, "
        "the reply code only.",
    )
    sms_gateway: Literal["off", "simulated", "http"] = Field(
        default="off",
        description="What sends notices to phones: `http` (the town's SMS gateway, below), "
        "`simulated` (the demo's: recipients answer after a random delay), `off`.",
    )
    sms_url: str = Field(default="", description="The SMS gateway's address (POST).")
    sms_template: str = Field(
        default='{{"mobile": {phone}, "content": {text}, "ref": {ref}, "sign": {sign}}}',
        description="The POST body: JSON in which {phone}, {text}, {ref} and {sign} are filled "
        "in as JSON strings (literal braces doubled).",
    )
    sms_sign: str = Field(default="", description="The SMS signature (签名) the gateway needs.")
    sms_token: SecretStr = Field(default=SecretStr(""), description="A bearer token, if any.")
    sms_user: str = Field(default="", description="Basic-auth user, if the gateway wants one.")
    sms_password: SecretStr = Field(default=SecretStr(""), description="Basic-auth password.")
    restart_limit: int = Field(
        default=5, ge=0, description="Restarts `towncc demo` allows a child per restart window."
    )
    restart_window_s: float = Field(
        default=60.0, gt=0, description="Seconds of the window that restart_limit counts in."
    )
    engine_max_deliveries: int = Field(
        default=3,
        ge=2,
        description="Deliveries of a stream entry, each ended by the engine process dying, "
        "after which the entry is quarantined unapplied.",
    )
