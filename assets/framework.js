/* Every use of Dash, dash-ag-grid and plotly.js internals in the browser, each with why it is
   needed and the version it was checked against: dash 4.4.1 (its renderer), dash-ag-grid
   35.3.0 (ag-grid 35, React 18.3), plotly 7.1.0 (plotly.js 4.1.1). The other assets call
   `window.towncc_framework`; the server side's internals are in dashboard/framework.py.
   tests/browser/test_framework.py fails, naming the internal, when an upgrade removes or
   changes one (through `check`, below). Dash loads assets by name: this file runs before
   wall.js, and before the renderer's first request. */
(function () {
  "use strict";

  const LAYOUT_ROUTE = "_dash-layout"; // dashboard/framework.py LAYOUT_ROUTE
  const PAGE_PARAM = "page"; // dashboard/framework.py PAGE_PARAM
  const seen = { layoutRequests: 0 };

  // The page's address on its layout request. The renderer fetches the page's tree from
  // `<requests prefix>_dash-layout` through window.fetch, with nothing of the page's address
  // but the Referer header, which a proxy or a Referrer-Policy may strip. The server builds
  // the page named by that request (dashboard/app.py: page_layout), so the page's path and
  // query go on its URL. Checked: dash 4.4.1 (apiThunk, GET, URL a string).
  const fetchBefore = window.fetch;
  function fetchNamingThePage(resource, options) {
    if (typeof resource === "string") {
      const url = new URL(resource, window.location.href);
      if (url.pathname.endsWith(`/${LAYOUT_ROUTE}`) && !url.searchParams.has(PAGE_PARAM)) {
        url.searchParams.set(PAGE_PARAM, window.location.pathname + window.location.search);
        seen.layoutRequests += 1;
        return fetchBefore.call(window, url.toString(), options);
      }
    }
    return fetchBefore.call(window, resource, options);
  }
  window.fetch = fetchNamingThePage;

  // Dash's undo history. The renderer records every change of a callback input for undo/redo
  // in its Redux store (`history.past`, the store exposed as window.store); no option turns
  // the recording off (`show_undo_redo` only hides the buttons). A wall never undoes, and the
  // clock's ticks and the push's beats would grow that list for as long as the page is open
  // (each row change holding a tick's rows): keep at most `kept` entries. Checked: dash 4.4.1.
  function undoList() {
    const store = window.store;
    const history = store && typeof store.getState === "function" && store.getState().history;
    return history && Array.isArray(history.past) ? history.past : null;
  }

  function trimHistory(kept) {
    const past = undoList();
    if (past && past.length > kept) {
      past.splice(0, past.length - kept);
    }
  }

  // How many undo entries Dash holds now (null: no such list), for tests.
  function undoEntries() {
    const past = undoList();
    return past ? past.length : null;
  }

  // A grid's ag-grid API, or null while its (lazily loaded) code is not up or the grid is gone.
  // `dash_ag_grid.getApi` is dash-ag-grid's own export (public); here so that every use of
  // ag-grid's API outside grid options goes through one place. Checked: dash-ag-grid 35.3.0.
  function gridApi(gridId) {
    let api = null;
    try {
      api = window.dash_ag_grid.getApi(gridId);
    } catch (e) {
      return null;
    }
    return api && !api.isDestroyed() ? api : null;
  }

  // Make ag-grid's grid body render once. On every model update (each transaction, each
  // re-sort) ag-grid sets six states of its grid body (the pinned rows' heights), nearly
  // always to the values they already hold; React 18 keeps such updates queued on the
  // component until it renders, which the grid body otherwise never does (about 1300 updates
  // a minute stayed in memory for good). Turning row animation off and on again in one go
  // makes it render; nothing on screen changes (no paint in between). Relies on ag-grid's
  // React internals, not on any documented effect. Checked: dash-ag-grid 35.3.0, React 18.3.
  function renderGridBody(api) {
    const animate = api.getGridOption("animateRows") !== false;
    api.setGridOption("animateRows", !animate);
    api.setGridOption("animateRows", animate);
  }

  // The plotly.js graph div of a dcc.Graph: dcc.Graph renders it (class `js-plotly-plot`,
  // set by plotly.js) inside the element that carries the component's id; its events
  // (`on("plotly_afterplot")`) and `layout` are plotly.js's public API, finding it is not.
  // Checked: dash 4.4.1 (dcc), plotly.js 4.1.1.
  function graphDiv(graphId) {
    const gd = document.querySelector(`#${graphId} .js-plotly-plot`);
    return gd && typeof gd.on === "function" ? gd : null;
  }

  // What a test asks after the page has loaded: every internal above still there and still
  // of the shape this file uses, as a list of problems (empty: all well).
  function check(ids) {
    const problems = [];
    if (seen.layoutRequests === 0) {
      problems.push(`the renderer's ${LAYOUT_ROUTE} request did not go through window.fetch ` +
        "as a URL string: the page's address was not sent with it");
    }
    if (undoList() === null) {
      problems.push("window.store is not Dash's Redux store with history.past: undo entries " +
        "are no longer trimmed");
    }
    if (!window.dash_ag_grid || typeof window.dash_ag_grid.getApi !== "function") {
      problems.push("dash_ag_grid.getApi is gone");
    } else if (ids && ids.grid) {
      const api = gridApi(ids.grid);
      if (!api || typeof api.getGridOption !== "function" || typeof api.setGridOption !== "function") {
        problems.push(`no ag-grid API with getGridOption/setGridOption for #${ids.grid}`);
      } else {
        const before = api.getGridOption("animateRows");
        renderGridBody(api);
        if (api.getGridOption("animateRows") !== before) {
          problems.push("toggling animateRows twice did not restore it");
        }
      }
    }
    if (ids && ids.graph && !graphDiv(ids.graph)) {
      problems.push(`no plotly graph div with .on() inside #${ids.graph} (dcc.Graph's DOM)`);
    }
    return problems;
  }

  window.towncc_framework = Object.freeze({
    trimHistory, undoEntries, gridApi, renderGridBody, graphDiv, check,
  });
})();
