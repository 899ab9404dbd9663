/* The console's keyboard shortcuts: Alt and a button's key presses that action's button (the
   buttons name their keys: data-shortcut, aria-keyshortcuts and the tooltip). Handled here
   rather than by the browser's access keys, which differ by browser and system. A key held
   down presses once. */
(function () {
  "use strict";

  document.addEventListener(
    "keydown",
    function (event) {
      if (!event.altKey || event.ctrlKey || event.metaKey || event.repeat) {
        return;
      }
      const key = (event.key || "").toLowerCase();
      if (key.length !== 1) {
        return;
      }
      const button = document.querySelector(`.console-act[data-shortcut="${key}"]`);
      if (button && !button.disabled && button.offsetParent !== null) {
        event.preventDefault();
        button.click();
      }
    },
    true
  );
})();
