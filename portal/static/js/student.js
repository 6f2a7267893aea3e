/*
 * Student pages: let a form marked data-swap-errors show the server's answer
 * for 409 (someone else changed the record: current values side by side) and
 * 413 (file too large), which the site-wide htmx config does not swap.
 */
(function () {
  "use strict";
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    var elt = event.detail.elt;
    if ((status === 409 || status === 413) && elt && elt.closest && elt.closest("[data-swap-errors]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();

/* Save my record: the print button needs JavaScript, so it stays hidden without it (the browser's Print still works). */
(function () {
  "use strict";
  document.querySelectorAll("[data-print-page]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
