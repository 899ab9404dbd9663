/* The wall's browser side: the clock, the link light, the link-lost banner and the
   reconnect nudge, the quiet reload, the per-feed lights' ages, the ticker's pace, the
   queue's pushed rows, ticking cells and order, the map's draw marks and its layer toggles.
   Whether a case is late is the server's rule (cases/view.py): a row carries it and the
   deadlines running, and the browser only counts those down. Times are shown in Beijing time
   whatever the display machine's zone. Nothing here pops up: no toasts, no spinners, no
   dialogs. */
(function () {
  "use strict";

  const ZONE = "Asia/Shanghai";
  const HISTORY_KEPT = 0; // undo entries Dash may keep (assets/framework.js: trimHistory)
  const state = { offsetMs: 0, lastBeatAt: null, lastArrival: null, loadedAt: Date.now(),
    words: null, lights: {}, stripClass: null, gridReady: false, lateKey: null,
    okSince: null, sourceDownSince: null, shown: {}, tickerText: null,
    lastHealth: 0, checking: false, healthySince: null, lastNudge: -Infinity, nudges: 0,
    reloading: false, gridBodyRenderedAt: Date.now(), rows: null, rowsTries: 0,
    rowsDownSince: null, unpairedSince: null, mapDrawn: null, demo: null };
  const DEFAULT_SILENCE_S = 1800;
  const FLASH_MS = 4000; // a row the push added is "new" this long (the CSS flash is shorter)
  const TICKER_REM_PER_S = 4; // the ticker's speed, in root ems (screen heights / 72) a second
  const QUIET_RELOAD_AFTER_MS = 120000; // a page loaded this recently never reloads again
  const GRID_BODY_RENDER_MS = 60000; // see renderGridBody
  const ROWS_RETRY_MS = [500, 1000, 2000, 5000]; // between tries to reopen the rows link
  const ROWS_ACK_LATEST_MS = 250; // see applyRows

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

  // Late as the server's case view said when the row was sent, or since: one of the
  // deadlines it gave has run out.
  function isLate(data) {
    const passed = (due) => Boolean(due) && Date.parse(due) < now();
    return Boolean(data) && (Boolean(data.late) || passed(data.response_countdown)
      || passed(data.handling_countdown));
  }

  function isNewRow(data) {
    return Boolean(data && data.pushed_at) && now() - data.pushed_at < FLASH_MS;
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
    const due = data.response_countdown ? Date.parse(data.response_countdown) : NaN;
    if (Number.isNaN(due)) {
      return data.responded_at ? word("due", "responded", "responded") : word("due", "none", "—");
    }
    const left = due - now();
    return left >= 0 ? clockText(left) : word("due", "overdue", "overdue") + " " + clockText(left);
  }

  // The handling deadline's countdown (the console's queue): "—" while it does not run.
  function handlingCountdown(data) {
    const due = data && data.handling_countdown ? Date.parse(data.handling_countdown) : NaN;
    if (Number.isNaN(due)) {
      return word("due", "none", "—");
    }
    const left = due - now();
    return left >= 0 ? clockText(left) : word("due", "overdue", "overdue") + " " + clockText(left);
  }

  // Formatters are made once: building one costs far more than using it, and the queue's
  // time column is formatted for every shown row on each refresh.
  const HHMM = new Intl.DateTimeFormat("zh-CN", {
    timeZone: ZONE, hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  });
  const CLOCKS = {};

  function beijingTime(value) {
    const t = value ? Date.parse(value) : NaN;
    return Number.isNaN(t) ? "" : HHMM.format(new Date(t));
  }

  // "2026-11-28 周六 09:12:33" (or "Sat"): one fixed shape, whatever the locale's habits.
  function clock(lang) {
    const parts = {};
    const locale = lang === "en" ? "en-GB" : "zh-CN";
    CLOCKS[locale] = CLOCKS[locale] || new Intl.DateTimeFormat(locale, {
      timeZone: ZONE, year: "numeric", month: "2-digit", day: "2-digit", weekday: "short",
      hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
    });
    CLOCKS[locale].formatToParts(new Date(now())).forEach((p) => { parts[p.type] = p.value; });
    return parts.year + "-" + parts.month + "-" + parts.day + " " + parts.weekday + " "
      + parts.hour + ":" + parts.minute + ":" + parts.second;
  }

  function noteBeat(beat) {
    if (beat && beat.at !== state.lastBeatAt) {
      state.lastBeatAt = beat.at;
      state.lastArrival = Date.now();
      state.offsetMs = beat.at - Date.now();
      // The push has no rows link to this page (dashboard/push.py: the beat's `rows`).
      state.unpairedSince = beat.rows === false ? state.unpairedSince || Date.now() : null;
      if (typeof beat.demo === "boolean") {
        state.demo = beat.demo; // the simulator fed the centre lately: the 演示数据 mark
      }
    }
  }

  // "09:12" in Beijing for epoch milliseconds.
  function hhmm(ms) {
    return HHMM.format(new Date(ms));
  }

  function link(beat, config) {
    if (linkIsDown(config)) {
      return ["wall-link is-down", word("link", "down", "link down")];
    }
    if (state.lastArrival === null) {
      return ["wall-link is-connecting", word("link", "connecting", "connecting")];
    }
    return beat && beat.ok === false
      ? ["wall-link is-source-down", word("link", "source_down", "source down")]
      : ["wall-link is-ok", word("link", "ok", "live")];
  }

  // The queue grid's API, or null while its (lazily loaded) code is not up.
  function gridApi(gridId) {
    return window.towncc_framework.gridApi(gridId);
  }

  // The page's rows link (dashboard/rows_link.py): a WebSocket of its own, on which the push sends
  // the queue's changes (dashboard/push.py: one ag-grid transaction, or all rows after a
  // resync) and the page answers with each message's mark once applied (the push sends the
  // next only then: one in flight) and each map patch's mark once drawn. Opened once the
  // grid is up, reopened after a drop (the push then resyncs the rows). Not through Dash's
  // stores and callbacks: each change cost the renderer's work on the main thread. Not
  // through the grid's rowTransaction prop: dash-ag-grid's wrapper keeps every value that
  // prop ever had (it waits for a `mounted` flag nothing sets), so every row ever pushed
  // stayed in memory for as long as the wall was open.
  function rowsUrl(config) {
    const url = new URL(config.rowsUrl, window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("page", config.pageId);
    return url.href;
  }

  function openRows(config) {
    if (state.rows || state.reloading) {
      return;
    }
    const socket = new WebSocket(rowsUrl(config));
    state.rows = socket;
    socket.onopen = () => {
      state.rowsTries = 0;
      state.rowsDownSince = null;
      // A map patch drawn while the link was down: its acknowledgement could not go then,
      // and the push sends the map nothing more until it comes.
      if (state.mapDrawn !== null) {
        acknowledge("map_ack", state.mapDrawn);
      }
    };
    socket.onmessage = (event) => applyRows(event.data, config);
    socket.onclose = () => {
      state.rows = null;
      state.rowsDownSince = state.rowsDownSince || Date.now();
      const wait = ROWS_RETRY_MS[Math.min(state.rowsTries, ROWS_RETRY_MS.length - 1)];
      state.rowsTries += 1;
      setTimeout(() => openRows(config), wait);
    };
  }

  function acknowledge(link, mark) {
    const socket = state.rows;
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify({ link, mark }));
    }
  }

  function applyRows(text, config) {
    const api = gridApi(config.gridId);
    let change = null;
    try {
      change = JSON.parse(text);
    } catch (_e) {
      return;
    }
    if (!change || !api) {
      return;
    }
    // Acknowledged once the grid says its model changed: ag-grid tells its listeners in a
    // task after the one that applied the rows (a `setTimeout`), and the browser usually
    // draws them in between. The push answers an acknowledgement with the map's patch, whose
    // redraw holds the main thread: acknowledged at once, the patch came before the rows
    // were drawn, and they waited behind it. A change that moves nothing in the model is
    // acknowledged all the same, ROWS_ACK_LATEST_MS later.
    let done = false;
    const ack = () => {
      if (!done) {
        done = true;
        api.removeEventListener("modelUpdated", ack);
        acknowledge("rows_ack", change.mark);
      }
    };
    api.addEventListener("modelUpdated", ack);
    setTimeout(ack, ROWS_ACK_LATEST_MS);
    if (change.rowData) {
      api.setGridOption("rowData", change.rowData);
    } else {
      api.applyTransaction(change.transaction);
    }
  }

  // ag-grid's grid body keeps state updates queued until it renders, which it otherwise
  // never does (assets/framework.js): make it render once a minute.
  function renderGridBody(api) {
    const t = Date.now();
    if (t - state.gridBodyRenderedAt < GRID_BODY_RENDER_MS) {
      return;
    }
    state.gridBodyRenderedAt = t;
    window.towncc_framework.renderGridBody(api);
  }

  // Re-evaluates the age and countdown cells and the late colouring; re-sorts when the set
  // of late rows changed (they sit on top). False while the grid is not up.
  function refreshQueue(config) {
    const api = gridApi(config.gridId);
    if (!api) {
      return false;
    }
    renderGridBody(api);
    api.expireValueCache(); // age and countdowns are values of the time (queue.py valueCache)
    const late = [];
    api.forEachNode((node) => {
      if (isLate(node.data)) {
        late.push(node.id);
      }
    });
    const key = late.sort().join("\n");
    // Every second only the clocks' cells (redrawing every cell of a 4K grid each second was
    // a main-thread task the next row could wait behind); all of them, and the order, when a
    // row turned late (its red is on every cell).
    if (key === state.lateKey) {
      api.refreshCells({ columns: config.tickingColumns, force: true });
    } else {
      api.refreshCells({ force: true });
      if (state.lateKey !== null) {
        api.onSortChanged();
      }
    }
    state.lateKey = key;
    return true;
  }

  // The ticker scrolls at one speed whatever its length and the screen's width.
  function paceTicker(tickerId) {
    const track = document.getElementById(tickerId);
    if (!track || track.textContent === state.tickerText) {
      return;
    }
    state.tickerText = track.textContent;
    const rem = parseFloat(getComputedStyle(document.documentElement).fontSize) || 30;
    const seconds = Math.max(10, track.scrollWidth / (TICKER_REM_PER_S * rem));
    track.style.setProperty("--ticker-s", seconds.toFixed(1) + "s");
  }

  // No beat for a while, or the rows link down (or not the push's) for as long: the rows
  // shown may be stale.
  function linkIsDown(config) {
    return Date.now() - downSince() > config.staleAfterMs;
  }

  function downSince() {
    const since = [state.lastArrival || state.loadedAt, state.rowsDownSince, state.unpairedSince];
    return Math.min(...since.filter((t) => t !== null));
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

  // The module panels (dashboard/modules): when the column cannot hold them all, show them a
  // page at a time, each page config.rotateMs; the page follows the server's clock, so walls
  // side by side agree. A panel is as tall as its figures need (wall.css), so the pages are
  // laid out one after another: each takes the panels from where the last one ended for as
  // long as they fit. They are laid out again only when the column's size changes (a
  // ResizeObserver says: reading it every second forced a layout of the whole 4K page each
  // time), or its panels or their figures do (a MutationObserver).
  function modulePages(body, panels) {
    const bottom = body.getBoundingClientRect().bottom + 1;
    const pages = [];
    let start = 0;
    while (start < panels.length) {
      panels.forEach((panel, n) => { panel.hidden = n < start; });
      let end = start + 1; // a panel taller than the column still has a page of its own
      while (end < panels.length && panels[end].getBoundingClientRect().bottom <= bottom) {
        end += 1;
      }
      pages.push([start, end]);
      start = end;
    }
    return pages;
  }

  function rotateModules(config) {
    const body = document.getElementById(config.modulesId);
    if (!body) {
      return;
    }
    if (state.modulesBody !== body) {
      state.modulesBody = body;
      state.modulesResized = true;
      const again = () => { state.modulesResized = true; };
      new ResizeObserver(again).observe(body);
      new MutationObserver(again).observe(body, { childList: true, subtree: true,
        characterData: true });
    }
    const panels = Array.from(body.children).filter((e) => e.classList.contains("wall-module"));
    if (state.modulesResized || panels.length !== state.modulesCount) {
      state.modulesResized = false;
      state.modulesCount = panels.length;
      state.modulePages = modulePages(body, panels);
    }
    const pages = state.modulePages;
    const now = Date.now() + (state.offsetMs || 0);
    const turns = Math.floor(now / Math.max(1000, config.rotateMs));
    const shown = pages.length > 1 ? turns % pages.length : 0;
    const [first, end] = pages[shown] || [0, panels.length];
    panels.forEach((panel, n) => {
      const hidden = n < first || n >= end;
      if (panel.hidden !== hidden) {
        panel.hidden = hidden;
      }
    });
    const label = document.getElementById(config.modulesPageId);
    const text = pages.length > 1 ? `${shown + 1}/${pages.length}` : "";
    if (label && label.textContent !== text) {
      label.textContent = text;
    }
  }

  // The push marks each figure change it sends (layout.meta) and sends the next map patch
  // once the page has drawn the last one (dashboard/push.py): the mark of each figure the map
  // draws goes back on the rows link.
  function watchMapDraws(config) {
    const gd = window.towncc_framework.graphDiv(config.mapId);
    if (!gd || gd === state.mapWatched) {
      return;
    }
    state.mapWatched = gd;
    const drawn = () => {
      const mark = gd.layout && gd.layout.meta;
      if (typeof mark === "number" && mark !== state.mapDrawn) {
        state.mapDrawn = mark;
        acknowledge("map_ack", mark); // if the link is down, it goes when it opens
      }
    };
    gd.on("plotly_afterplot", drawn);
    drawn(); // a patch the map drew before it was watched
  }

  function wallTick(_n, beat, config) {
    const noUpdate = window.dash_clientside.no_update;
    if (!config) {
      return [noUpdate, noUpdate, noUpdate];
    }
    state.words = config.words;
    noteBeat(beat);
    const [linkClass, linkText] = link(beat, config);
    // The push holds its rows until the grid is up: the rows link opening says it is.
    if (refreshQueue(config) && !state.gridReady) {
      state.gridReady = true;
      openRows(config);
    }
    paceTicker(config.tickerId);
    rotateModules(config);
    watchMapDraws(config);
    window.towncc_framework.trimHistory(HISTORY_KEPT); // Dash's undo list: none past a second
    return [clock(config.lang), linkClass, linkText];
  }

  // The banner over stale data: the push link lost (since the last beat), or the server
  // alive but its data source (Redis) down (since the first beat that said so).
  function banner(beat, config) {
    if (linkIsDown(config)) {
      const since = downSince() + state.offsetMs; // server clock
      const text = word("banner", "link", "link lost since {time}").replace("{time}", hhmm(since));
      return ["wall is-stale", text, "wall-banner is-shown is-link"];
    }
    if (state.lastArrival !== null && beat && beat.ok === false) {
      state.sourceDownSince = state.sourceDownSince || beat.at;
      const text = word("banner", "source", "source down since {time}")
        .replace("{time}", hhmm(state.sourceDownSince));
      return ["wall is-stale", text, "wall-banner is-shown is-source"];
    }
    state.sourceDownSince = null;
    return ["wall", "", "wall-banner"];
  }

  // While the link is down: is the server answering? Checked every healthEveryMs.
  function checkHealth(config) {
    const t = Date.now();
    if (state.checking || t - state.lastHealth < config.healthEveryMs) {
      return;
    }
    state.checking = true;
    state.lastHealth = t;
    fetch(config.healthUrl, { cache: "no-store" })
      .then((r) => { state.healthySince = r.ok ? state.healthySince || Date.now() : null; })
      .catch(() => { state.healthySince = null; })
      .finally(() => { state.checking = false; });
  }

  // The server answers but no beat comes: Dash's socket worker has stopped retrying. A
  // callback sent through it opens a new socket; a reload only as the very last resort.
  function recover(config) {
    checkHealth(config);
    const t = Date.now();
    const healthyFor = state.healthySince === null ? -1 : t - state.healthySince;
    if (healthyFor >= config.lastResortMs && state.nudges > 0 && !state.reloading) {
      state.reloading = true;
      window.location.reload();
      return null;
    }
    if (healthyFor >= config.nudgeAfterMs && t - state.lastNudge >= config.nudgeEveryMs) {
      state.lastNudge = t;
      state.nudges += 1;
      return t;
    }
    return null;
  }

  // The quiet reload: once, in the configured minute (Beijing), if the page is not new.
  function reloadDue(beijingHhmm, loadedForMs, reloadAt) {
    return Boolean(reloadAt) && beijingHhmm === reloadAt && loadedForMs > QUIET_RELOAD_AFTER_MS;
  }

  function quietReload(config) {
    if (state.reloading || !reloadDue(hhmm(now()), Date.now() - state.loadedAt, config.reloadAt)) {
      return;
    }
    state.reloading = true; // only into a page that will load: the server must answer
    fetch(config.healthUrl, { cache: "no-store" })
      .then((r) => (r.ok ? window.location.reload() : Promise.reject(r.status)))
      .catch(() => { state.reloading = false; });
  }

  function changedOnly(name, value) {
    const noUpdate = window.dash_clientside.no_update;
    if (state.shown[name] === value) {
      return noUpdate;
    }
    state.shown[name] = value;
    return value;
  }

  function linkTick(_n, beat, config) {
    const noUpdate = window.dash_clientside.no_update;
    if (!config) {
      return [noUpdate, noUpdate, noUpdate, noUpdate];
    }
    state.words = config.words;
    noteBeat(beat);
    const down = linkIsDown(config);
    const nudge = down ? recover(config) : null;
    if (!down) {
      state.healthySince = null;
      state.nudges = 0;
    }
    quietReload(config);
    if (state.demo === null) {
      state.demo = Boolean(config.demo); // as at page load, until a beat says
    }
    const [stale, text, bannerClass] = banner(beat, config);
    const rootClass = stale + (state.demo ? " is-demo" : "");
    return [changedOnly("root", rootClass), changedOnly("banner", text),
      changedOnly("bannerClass", bannerClass), nudge === null ? noUpdate : nudge];
  }

  // A map layer turned off or on from the legend: the figure's traces of that layer get
  // `visible` (in the figure prop itself, so later patches keep it), the buttons their state,
  // and the address its `hide=` list, so a reload shows the same layers.
  function toggleLayer(...args) {
    const config = args.pop();
    const figure = args.pop();
    const noUpdate = window.dash_clientside.no_update;
    const layers = (config && config.layers) || {};
    const names = Object.keys(layers);
    const triggered = (window.dash_clientside.callback_context.triggered || [])[0];
    const url = new URL(window.location.href);
    if (state.hiddenLayers === undefined) {
      state.hiddenLayers = new Set((url.searchParams.get("hide") || "").split(",")
        .filter((name) => name in layers));
    }
    const clicked = names.find((name) => triggered && triggered.prop_id === `${layers[name][0]}.n_clicks`);
    if (!figure || clicked === undefined) {
      return [noUpdate, ...names.map(() => noUpdate)];
    }
    const hidden = state.hiddenLayers;
    if (hidden.has(clicked)) hidden.delete(clicked); else hidden.add(clicked);
    const off = new Set([...hidden].flatMap((name) => layers[name][1]));
    const data = figure.data.map((trace, index) => {
      const inLayer = names.some((name) => layers[name][1].includes(index));
      return inLayer ? { ...trace, visible: !off.has(index) } : trace;
    });
    if (hidden.size) url.searchParams.set("hide", [...hidden].sort().join(","));
    else url.searchParams.delete("hide");
    window.history.replaceState(window.history.state, "", url.toString());
    const other = document.getElementById(config.langLinkId); // the other language keeps them too
    if (other) {
      const link = new URL(other.getAttribute("href"), window.location.href);
      if (hidden.size) link.searchParams.set("hide", [...hidden].sort().join(","));
      else link.searchParams.delete("hide");
      other.setAttribute("href", link.search || "?");
    }
    return [{ ...figure, data }, ...names.map((name) => `wall-layer${hidden.has(name) ? " is-off" : ""}`)];
  }

  const dagfuncs = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});
  Object.assign(dagfuncs, {
    isLate, isNewRow, caseAge, responseCountdown, handlingCountdown, beijingTime,
  });

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.towncc = Object.assign(window.dash_clientside.towncc || {}, {
    wallTick, linkTick, feedTick, reloadDue, toggleLayer,
  });
})();
