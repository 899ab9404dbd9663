"""Every Redis key name in one place, each under the configurable prefix."""

from __future__ import annotations

from dataclasses import dataclass

ENGINE_GROUP = "engine"
# How long a command's outcome stays readable (GET /api/commands/<id>), and its one-shot reply.
COMMAND_OUTCOME_TTL_S = 30 * 24 * 3600
COMMAND_REPLY_TTL_S = 300
_GLOB = str.maketrans({c: f"\\{c}" for c in "*?[]\\"})


def glob_escape(text: str) -> str:
    """``text`` matched literally in a SCAN pattern (a prefix may hold ``[`` or ``*``)."""
    return text.translate(_GLOB)


@dataclass(frozen=True, slots=True)
class Keys:
    """Key names; hash-tag the prefix (e.g. ``{towncc}:``) to keep them on one Cluster slot."""

    prefix: str = "towncc:"

    @property
    def events(self) -> str:
        return f"{self.prefix}events"

    @property
    def deadletter(self) -> str:
        return f"{self.prefix}deadletter"

    @property
    def case_events(self) -> str:
        return f"{self.prefix}case-events"

    @property
    def notifications(self) -> str:
        """Stream: whom to tell of a case escalated to them (cases/escalation.py), for a phone
        gateway to read."""
        return f"{self.prefix}notifications"

    @property
    def journal(self) -> str:
        """Stream: what each of the engine's transactions applied, in order (cases/journal.py)."""
        return f"{self.prefix}engine-journal"

    def heartbeat(self, consumer: str) -> str:
        """String with a TTL: an engine that is running refreshes it (a rebuild checks it)."""
        return f"{self.prefix}engine-heartbeat:{consumer}"

    @property
    def supervisor(self) -> str:
        """Hash: child process name → its state as `towncc demo` sees it (JSON, core/children.py);
        the whole hash expires unless the supervisor refreshes it."""
        return f"{self.prefix}supervisor"

    @property
    def rebuild_lock(self) -> str:
        """String: held while `towncc engine --rebuild` runs; an engine waits for it to go."""
        return f"{self.prefix}engine-rebuild"

    def incident(self, incident_id: str) -> str:
        """String: one incident (emergency/store.py), JSON: its area, what it touches, its state."""
        return f"{self.prefix}incident:{incident_id}"

    def incident_timeline(self, incident_id: str) -> str:
        """List: the incident's timeline entries (JSON), oldest first."""
        return f"{self.prefix}incident-timeline:{incident_id}"

    @property
    def incidents(self) -> str:
        """Sorted set: every incident id by its declaration (epoch ms); `incidents-active`
        holds those not ended."""
        return f"{self.prefix}incidents"

    @property
    def incidents_active(self) -> str:
        return f"{self.prefix}incidents-active"

    @property
    def incident_sources(self) -> str:
        """Hash: what declared an incident by rule (an alert's key, a rule's occasion) → its id:
        the same occasion never declares twice."""
        return f"{self.prefix}incident-sources"

    def incident_cases(self, incident_id: str) -> str:
        """Sorted set: the open cases inside an incident's area, by their report time (epoch
        ms); filled at its declaration, kept by `towncc emergency` as cases change."""
        return f"{self.prefix}incident-cases:{incident_id}"

    def incident_window(self, rule: str, grid: str, category: str) -> str:
        """Sorted set: a cluster rule's recent reports of one category in one grid, by their
        report time (epoch ms); it expires when the rule's window has passed."""
        return f"{self.prefix}incident-window:{rule}:{grid}:{category}"

    @property
    def incident_seq(self) -> str:
        return f"{self.prefix}incident-seq"

    def notice(self, notice_id: str) -> str:
        """String: one notice to a phone at an incident (emergency/notices.py), JSON."""
        return f"{self.prefix}notice:{notice_id}"

    def incident_notices(self, incident_id: str) -> str:
        """List: the ids of an incident's notices, in the order they were sent."""
        return f"{self.prefix}incident-notices:{incident_id}"

    @property
    def notices_due(self) -> str:
        """Sorted set: the notices awaiting an acknowledgement, by when they are due (epoch ms)."""
        return f"{self.prefix}notices-due"

    @property
    def notice_tokens(self) -> str:
        """Hash: a notice's link token, and `reply:<phone>:<code>`, → its id (acknowledgements)."""
        return f"{self.prefix}notice-tokens"

    @property
    def incident_events(self) -> str:
        """Stream: the incidents' audit log (`incident`, `e`: the timeline entry as JSON), kept
        as written; the screens tail it to switch layouts."""
        return f"{self.prefix}incident-events"

    @property
    def commands(self) -> str:
        """Stream of operator commands (`case_id`, `c`: the command as JSON) the engine applies."""
        return f"{self.prefix}commands"

    def command(self, command_id: str) -> str:
        """String: the outcome of one command (JSON), kept for ``COMMAND_OUTCOME_TTL_S``."""
        return f"{self.prefix}command:{command_id}"

    def command_reply(self, command_id: str) -> str:
        """List: the outcome pushed once, for the API call that waits on it (BLPOP)."""
        return f"{self.prefix}command-reply:{command_id}"

    @property
    def open_cases(self) -> str:
        """Sorted set of open case ids scored by report time (ms)."""
        return f"{self.prefix}cases:open"

    def facet(self, name: str, value: str) -> str:
        """Sorted set of the open cases whose ``name`` (village, grid, category, stage,
        department, level) is ``value``, by report time (ms): what the filters intersect."""
        return f"{self.prefix}cases:open:{name}:{value}"

    @property
    def all_cases(self) -> str:
        """Sorted set of every case id scored by report time (ms)."""
        return f"{self.prefix}cases:all"

    @property
    def response_due(self) -> str:
        """Sorted set of cases awaiting their first response, scored by its deadline (ms)."""
        return f"{self.prefix}cases:response-due"

    @property
    def handling_due(self) -> str:
        """Sorted set of cases their handling deadline may still escalate, scored by it (ms)."""
        return f"{self.prefix}cases:handling-due"

    @property
    def tally(self) -> str:
        """Hash: open case counts by the dimensions the panels show (cases/tally.py: `open`,
        `level=<level>`, `feed=<feed>`, `category=<category>`, `feed=<feed>|level=<level>`,
        `feed=<feed>|category=<category>`); kept in the engine's transaction."""
        return f"{self.prefix}cases:tally"

    @property
    def hazard_enterprises(self) -> str:
        """Hash: enterprise (cases/tally.py `enterprise_of`) → its open hazard cases; an
        enterprise with none left reads 0."""
        return f"{self.prefix}cases:hazard-enterprises"

    @property
    def late_at(self) -> str:
        """Sorted set of open cases that can be late, scored by the moment they become late on
        either clock (cases/view.py `Countdowns.late_at`), in epoch microseconds."""
        return f"{self.prefix}cases:late-at"

    @property
    def response_late_at(self) -> str:
        """Sorted set of open cases awaiting their first response, scored by the moment that
        response is late (cases/view.py `Countdowns.response_due`), in epoch microseconds."""
        return f"{self.prefix}cases:response-late-at"

    @property
    def grid_open(self) -> str:
        """Hash: level-2 grid code → open case count."""
        return f"{self.prefix}grid:open"

    @property
    def village_open(self) -> str:
        """Hash: level-1 grid (village) code → open case count."""
        return f"{self.prefix}village:open"

    @property
    def alert_index(self) -> str:
        """Hash: `<sender>\t<identifier>` → the CAP message's sent time, fields and retirement."""
        return f"{self.prefix}alert-index"

    @property
    def alarm_state(self) -> str:
        """Hash: `<feed>:<station>` → the station's telemetry alarm state (cases/telemetry.py)."""
        return f"{self.prefix}alarm-state"

    @property
    def silent_due(self) -> str:
        """Sorted set of stations (`<feed>:<station>`) scored by when they read as silent (ms)."""
        return f"{self.prefix}stations:silent-due"

    def duplicates(self, parent_id: str) -> str:
        """List: the ids of the cases merged into this one as duplicates, in order."""
        return f"{self.prefix}duplicates:{parent_id}"

    def near(self, category: str) -> str:
        """GEO set: the open cases of a category that a duplicate report may join."""
        return f"{self.prefix}cases:near:{category}"

    def latest(self, kind: str) -> str:
        """Hash: `<feed>:<source id>` → the newest telemetry, alert or metric record (JSON)."""
        return f"{self.prefix}latest:{kind}"

    def metric_day(self, feed: str, day: str) -> str:
        """Hash: source id → the newest record of one module feed on one Beijing day (ISO
        date): the feed's history (cases/readings.py DAILY_FEEDS). Written by the live engine
        only: a rebuild leaves it alone (older days than the streams hold would be lost)."""
        return f"{self.prefix}metric-day:{feed}:{day}"

    @property
    def streams(self) -> dict[str, str]:
        """Every stream the centre writes, by a short label (metrics, trimming by age)."""
        return {
            "events": self.events,
            "commands": self.commands,
            "case-events": self.case_events,
            "deadletter": self.deadletter,
            "engine-journal": self.journal,
            "quarantine": self.quarantine,
            "incident-events": self.incident_events,
        }

    @property
    def quarantine(self) -> str:
        """Stream: what the engine could not apply, with the error (cases/quarantine.py)."""
        return f"{self.prefix}quarantine"

    @property
    def quarantine_counts(self) -> str:
        """Hash: source (`events`, `commands`, `sweep`) → entries ever quarantined."""
        return f"{self.prefix}quarantine:counts"

    @property
    def deadletter_counts(self) -> str:
        """Hash: `<feed>\t<reason class>` → dead letters counted."""
        return f"{self.prefix}deadletter:counts"

    def feed_stats(self, feed: str) -> str:
        """Hash: last_at, records, dead_letters, last_error of one feed."""
        return f"{self.prefix}feed:{feed}"

    def feed_minute(self, feed: str, minute: int) -> str:
        """Records of one feed accepted in one minute (epoch minutes); expires after 2 h."""
        return f"{self.prefix}feed-rate:{feed}:{minute}"

    @property
    def simulated_at(self) -> str:
        """String: when the intake last took a body the simulator marked as its own (ISO,
        UTC; `X-Towncc-Simulated`); the wall shows its 演示数据 mark while that is recent."""
        return f"{self.prefix}simulated-at"

    def spool(self, generation: str) -> str:
        """How many lines of a spool generation are already in the streams."""
        return f"{self.prefix}spool:{generation}"

    def case(self, case_id: str) -> str:
        return f"{self.prefix}case:{case_id}"

    def history(self, case_id: str) -> str:
        return f"{self.prefix}history:{case_id}"

    def kpi(self, *parts: str) -> str:
        """The KPI buckets (cases/kpi_projection.py): counters per Beijing day, month and year
        and unit, and the sorted sets the figures that depend on the clock are read from."""
        return ":".join((f"{self.prefix}kpi", *parts))

    def access(self, *parts: str) -> str:
        """Identities (access/): `access:users` (the user names), `access:user:<name>`,
        `access:tokens` (the tokens' digests), `access:token:<digest>`. Never a projection:
        a rebuild leaves them alone."""
        return ":".join((f"{self.prefix}access", *parts))

    def projection_patterns(self) -> tuple[str, ...]:
        """SCAN patterns of every key the engine writes and a rebuild recomputes.

        Not the streams (`case-events` is the audit log, kept as written), nor the one-shot
        `command-reply:<id>` lists, nor what the intake writes.
        """
        p = glob_escape(self.prefix)
        return (
            f"{p}case:*", f"{p}history:*", f"{p}cases:*", f"{p}grid:open", f"{p}village:open",
            f"{p}latest:*", f"{p}alert-index", f"{p}command:*", f"{p}alarm-state",
            f"{p}duplicates:*", f"{p}stations:*", f"{p}kpi:*",
        )  # fmt: skip
