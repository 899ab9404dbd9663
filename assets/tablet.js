/* The tablet's browser side: a tap to another view starts it at its top (the page scrolls
   inside its own root, which keeps its place when its content changes). */
(function () {
  "use strict";

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.tablet = {
    toTop: function (search) {
      const root = document.getElementById("tablet-root");
      if (root) {
        root.scrollTop = 0;
      }
      return search || "";
    },
  };
})();
