/* The wall's browser side: the clock, the link light and its watchdog, the per-feed lights'
   ages, and the queue's ticking cells. Times are shown in Beijing time whatever the display
   machine's zone. */
(function () {
  "use strict";

  const ZONE = "Asia/Shanghai";
  const state = { offsetMs: 0, lastBeatAt: null, lastArrival: null, loadedAt: Date.now(),
    nextCheck: 0, words: null, lights: {}, stripClass: null, gridReady: false };
  const DEFAULT_SILENCE_S = 1800;

  // Server time: ages and countdowns follow the server's clock, not the wall PC's.
  function now() {
    return Date.now() + state.offsetMs;
  }

  function word(part, key, fallback) {
    const words = state.words && state.words[part];
    return (words && words[key]) || fallback;
  }

  function pad(n) {
    return String(n).padStart(2, "0");
  }

  function isCaseOverdue(data) {
    if (data && data.handling_overdue) {
      return true;
    }
    if (!data || data.responded_at) {
      return false;
    }
    const due = data.response_due ? Date.parse(data.response_due) : NaN;
    return Boolean(data.overdue) || (!Number.isNaN(due) && due < now());
  }

  function caseAge(data) {
    const start = data && data.reported_at ? Date.parse(data.reported_at) : NaN;
    if (Number.isNaN(start)) {
      return "";
    }
    const minutes = Math.max(0, Math.floor((now() - start) / 60000));
    const d = word("unit", "day", "d"), h = word("unit", "hour", "h");
    const m = word("unit", "minute", "m");
    if (minutes < 60) {
      return minutes + m;
    }
    if (minutes < 1440) {
      return Math.floor(minutes / 60) + h + pad(minutes % 60) + m;
    }
    return Math.floor(minutes / 1440) + d + Math.floor((minutes % 1440) / 60) + h;
  }

  function clockText(ms) {
    const s = Math.floor(Math.abs(ms) / 1000);
    const hours = Math.floor(s / 3600);
    const rest = pad(Math.floor((s % 3600) / 60)) + ":" + pad(s % 60);
    return hours > 0 ? hours + ":" + rest : rest;
  }

  function responseCountdown(data) {
    if (!data) {
      return "";
    }
    if (data.responded_at) {
      return word("due", "responded", "responded");
    }
    const due = data.response_due ? Date.parse(data.response_due) : NaN;
    if (Number.isNaN(due)) {
      return word("due", "none", "—");
    }
    const left = due - now();
    return left >= 0 ? clockText(left) : word("due", "overdue", "overdue") + " " + clockText(left);
  }

  function beijingTime(value) {
    const t = value ? Date.parse(value) : NaN;
    if (Number.isNaN(t)) {
      return "";
    }
    return new Intl.DateTimeFormat("zh-CN", {
      timeZone: ZONE, hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    }).format(new Date(t));
  }

  // "2026-11-28 周六 09:12:33" (or "Sat"): one fixed shape, whatever the locale's habits.
  function clock(lang) {
    const parts = {};
    new Intl.DateTimeFormat(lang === "en" ? "en-GB" : "zh-CN", {
      timeZone: ZONE, year: "numeric", month: "2-digit", day: "2-digit", weekday: "short",
      hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
    }).formatToParts(new Date(now())).forEach((p) => { parts[p.type] = p.value; });
    return parts.year + "-" + parts.month + "-" + parts.day + " " + parts.weekday + " "
      + parts.hour + ":" + parts.minute + ":" + parts.second;
  }

  function noteBeat(beat) {
    if (beat && beat.at !== state.lastBeatAt) {
      state.lastBeatAt = beat.at;
      state.lastArrival = Date.now();
      state.offsetMs = beat.at - Date.now();
    }
  }

  // A dead link is said out loud; after a while, if the server answers, reload the page.
  function link(beat, config) {
    const since = Date.now() - (state.lastArrival || state.loadedAt);
    if (linkIsDown(config)) {
      watchdog(since, config);
      return ["wall-link is-down", word("link", "down", "link down")];
    }
    if (state.lastArrival === null) {
      return ["wall-link is-connecting", word("link", "connecting", "connecting")];
    }
    return beat && beat.ok === false
      ? ["wall-link is-source-down", word("link", "source_down", "source down")]
      : ["wall-link is-ok", word("link", "ok", "live")];
  }

  function watchdog(since, config) {
    if (since < config.reloadAfterMs || Date.now() < state.nextCheck) {
      return;
    }
    state.nextCheck = Date.now() + config.reloadAfterMs;
    fetch(config.healthUrl, { cache: "no-store" })
      .then((r) => (r.ok ? window.location.reload() : null))
      .catch(() => null);
  }

  // Re-evaluates the age and countdown cells and the overdue colouring; counts overdue rows.
  function refreshQueue(gridId) {
    let api = null;
    try {
      api = window.dash_ag_grid.getApi(gridId);
    } catch (e) {
      return null;
    }
    if (!api || api.isDestroyed()) {
      return null;
    }
    api.refreshCells({ force: true });
    let overdue = 0;
    api.forEachNode((node) => {
      overdue += isCaseOverdue(node.data) ? 1 : 0;
    });
    return overdue;
  }

  function linkIsDown(config) {
    return Date.now() - (state.lastArrival || state.loadedAt) > config.staleAfterMs;
  }

  // "3分钟前" / "3 min ago"; the twin of dashboard.lights.age_text.
  function ageText(seconds) {
    if (seconds === null) {
      return word("age", "never", "never");
    }
    const s = Math.max(0, Math.floor(seconds));
    const units = [["days", 86400], ["hours", 3600], ["minutes", 60]];
    for (const [unit, size] of units) {
      if (s >= size) {
        return word("age", unit, "{n}").replace("{n}", String(Math.floor(s / size)));
      }
    }
    return word("age", "seconds", "{n}").replace("{n}", String(s));
  }

  // A light's state now: never without data; silent once quiet past its feed's window, even
  // if no push came to say so (a dead feed must never look like a calm one).
  function lightState(light, silenceS) {
    if (!light || light.status === "unknown") {
      return ["wall-feed is-unknown", word("age", "unknown", "—")];
    }
    const at = light.last_at ? Date.parse(light.last_at) : NaN;
    if (Number.isNaN(at)) {
      return ["wall-feed is-never", ageText(null)];
    }
    const age = (now() - at) / 1000;
    const silent = light.status === "silent" || age > silenceS;
    return ["wall-feed " + (silent ? "is-silent" : "is-live"), ageText(age)];
  }

  // Every light's class and age, each sent only when it changed (no_update otherwise).
  function feedTick(_n, feeds, config) {
    const dc = window.dash_clientside;
    const outputs = dc.callback_context && dc.callback_context.outputs_list;
    if (!config || !outputs) {
      return [dc.no_update, dc.no_update, dc.no_update];
    }
    state.words = config.words;
    const byFeed = {};
    (feeds || []).forEach((light) => { byFeed[light.feed] = light; });
    const windows = config.feedSilenceS || {};
    const shown = {};
    Object.keys(byFeed).concat(outputs[0].map((o) => o.id.feed)).forEach((feed) => {
      shown[feed] = lightState(byFeed[feed], windows[feed] || DEFAULT_SILENCE_S);
    });
    const pick = (index) => (out) => {
      const value = shown[out.id.feed][index];
      const before = state.lights[out.id.feed];
      return before && before[index] === value ? dc.no_update : value;
    };
    const classes = outputs[0].map(pick(0));
    const ages = outputs[1].map(pick(1));
    Object.assign(state.lights, shown);
    const stripClass = "wall-feeds" + (linkIsDown(config) ? " is-stale" : "");
    const strip = stripClass === state.stripClass ? dc.no_update : stripClass;
    state.stripClass = stripClass;
    return [classes, ages, strip];
  }

  function wallTick(_n, beat, config) {
    const noUpdate = window.dash_clientside.no_update;
    if (!config) {
      return [noUpdate, noUpdate, noUpdate, noUpdate, noUpdate];
    }
    state.words = config.words;
    noteBeat(beat);
    const [linkClass, linkText] = link(beat, config);
    const overdue = refreshQueue(config.gridId);
    // The push holds its row transactions until the grid is up (see dashboard/live.py).
    const ready = overdue !== null && !state.gridReady;
    state.gridReady = state.gridReady || ready;
    return [clock(config.lang), linkClass, linkText, overdue === null ? noUpdate : String(overdue),
      ready ? true : noUpdate];
  }

  const dagfuncs = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});
  Object.assign(dagfuncs, { isCaseOverdue, caseAge, responseCountdown, beijingTime });

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.towncc = Object.assign(window.dash_clientside.towncc || {}, {
    wallTick, feedTick,
  });
})();
