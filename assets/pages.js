/* What the people's pages (the console, the tablet) share in the browser: the link to the
   other language keeps the view the address names now (filters, village, grid, case), not
   the one the page was loaded with. */
(function () {
  "use strict";

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.pages = {
    otherLanguage: function (search) {
      const params = new URLSearchParams(search || "");
      if (params.get("lang") === "en") {
        params.delete("lang");
      } else {
        params.set("lang", "en");
      }
      const query = params.toString();
      return window.location.pathname + (query ? "?" + query : "");
    },
  };
})();
