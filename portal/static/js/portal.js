/*
 * OPT Portal: the little glue htmx and USWDS do not provide.
 * Everything here is progressive enhancement: each page works without it
 * (plain form posts and redirects). No inline handlers anywhere, because the
 * Content-Security-Policy forbids 'unsafe-inline'; behaviour hangs off data-
 * attributes instead.
 */
(function () {
  "use strict";

  var FIELD = "input:not([type=hidden]), select, textarea, button";
  var lastTrigger = null; // what opened the dialog, so focus can go back there

  // Flask-WTF checks every POST for a CSRF token. Plain forms carry it as a
  // hidden field; htmx requests (hx-post/hx-delete on buttons) may not, so
  // send the page's token as the header Flask-WTF also reads (WTF_CSRF_HEADERS).
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) {
      event.detail.headers["X-CSRFToken"] = meta.content;
    }
  });

  // Remember the button that asked for a dialog, to return focus on close.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var target = event.detail.target;
    if (target && target.id === "modal-root") {
      lastTrigger = event.detail.elt;
    }
  });

  // After a swap, a keyboard or screen-reader user is otherwise left where the
  // old content was. Send them to the first field with an error (so they can
  // fix it), else to whatever the fragment marked with data-focus-after-swap
  // (a dialog's first button, a "saved" message, a new row).
  document.addEventListener("htmx:afterSettle", function (event) {
    var root = event.target;
    if (!root || !root.isConnected || !root.querySelector) {
      return;
    }
    var focusable = null;
    var error = root.querySelector(".usa-error-message[id]");
    if (error) {
      var described = root.querySelector('[aria-describedby~="' + error.id + '"]');
      // A radio group's fieldset carries aria-describedby; focus its first radio.
      focusable = described && !described.matches(FIELD) ? described.querySelector(FIELD) : described;
    }
    if (!focusable) {
      focusable = root.matches("[data-focus-after-swap]") ? root : root.querySelector("[data-focus-after-swap]");
      if (focusable && !focusable.matches(FIELD + ", a[href], [tabindex]")) {
        focusable.setAttribute("tabindex", "-1"); // headings and alerts need this to take focus
      }
    }
    if (focusable) {
      focusable.focus();
    }
  });

  // After a form is saved the page reloads (htmx's HX-Redirect, or a plain 303): start a keyboard or
  // screen-reader user at the confirmation rather than at the top of the page.
  var confirmation = document.querySelector("[data-focus-on-load]");
  if (confirmation) {
    confirmation.focus();
  }

  // Closing a confirmation dialog needs no server round trip: empty #modal-root.
  // [data-dismiss] may be a link back to the page, for use without JavaScript.
  function closeDialog() {
    var modalRoot = document.getElementById("modal-root");
    if (!modalRoot || !modalRoot.querySelector("[data-confirm-dialog]")) {
      return false;
    }
    modalRoot.replaceChildren();
    if (lastTrigger && lastTrigger.isConnected) {
      lastTrigger.focus();
    }
    lastTrigger = null;
    return true;
  }

  document.addEventListener("click", function (event) {
    var dismiss = event.target.closest("[data-confirm-dialog] [data-dismiss]");
    if (dismiss && closeDialog()) {
      event.preventDefault();
    }
  });

  // "Choose all" ticks or clears every row of its form ([data-select-all-scope]),
  // and stays ticked only while every row is. Without JavaScript the server
  // reads the ticked "Choose all" as every row the page showed.
  document.addEventListener("change", function (event) {
    var box = event.target;
    var scope = box.closest && box.closest("[data-select-all-scope]");
    if (!scope) {
      return;
    }
    var rows = scope.querySelectorAll("input[data-select-one]");
    var all = scope.querySelector("input[data-select-all]");
    if (box.matches("[data-select-all]")) {
      rows.forEach(function (row) { row.checked = box.checked; });
    } else if (box.matches("[data-select-one]") && all) {
      all.checked = Array.prototype.every.call(rows, function (row) { return row.checked; });
    }
  });

  // "Copy" buttons ([data-copy-text]) are hidden until the clipboard is known to be there; a copy is announced.
  function offerCopyButtons(root) {
    if (!navigator.clipboard || !root.querySelectorAll) {
      return;
    }
    root.querySelectorAll("button[data-copy-text][hidden]").forEach(function (button) {
      button.hidden = false;
    });
  }
  offerCopyButtons(document);
  document.addEventListener("htmx:afterSettle", function (event) {
    offerCopyButtons(event.target);
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-copy-text]");
    if (!button) {
      return;
    }
    var status = document.getElementById("copy-status");
    navigator.clipboard.writeText(button.getAttribute("data-copy-text")).then(function () {
      if (status) { status.textContent = "Copied. Paste them somewhere safe."; }
    }, function () {
      if (status) { status.textContent = "Copying did not work here; download them or write them down."; }
    });
  });

  // "Show password" buttons ([data-show-password], aria-controls naming the field) are hidden without JavaScript.
  // Pressing one shows the typed password as text; pressing it again masks it. aria-pressed carries the state.
  function offerShowPassword(root) {
    if (!root.querySelectorAll) {
      return;
    }
    root.querySelectorAll("button[data-show-password][hidden]").forEach(function (button) {
      button.hidden = false;
    });
  }
  offerShowPassword(document);
  document.addEventListener("htmx:afterSettle", function (event) {
    offerShowPassword(event.target);
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-show-password]");
    if (!button) {
      return;
    }
    var show = button.getAttribute("aria-pressed") !== "true";
    button.getAttribute("aria-controls").split(/\s+/).forEach(function (id) {
      var input = document.getElementById(id);
      if (input) {
        input.type = show ? "text" : "password";
        input.setAttribute("autocapitalize", "off");
        input.setAttribute("autocorrect", "off");
      }
    });
    button.setAttribute("aria-pressed", show ? "true" : "false");
  });

  // File drop zones ([data-file-input]) are written by the server, so a swapped-in form has one too; USWDS builds
  // its own only at page load. Here: name the chosen files, as USWDS would, and shade the zone while a file is dragged.
  document.addEventListener("change", function (event) {
    var input = event.target;
    var zone = input.closest && input.closest("[data-file-input]");
    if (!zone || input.type !== "file") {
      return;
    }
    var target = zone.querySelector(".usa-file-input__target");
    var instructions = zone.querySelector(".usa-file-input__instructions");
    var status = zone.querySelector("[data-file-status]");
    target.querySelectorAll(".usa-file-input__preview, .usa-file-input__preview-heading").forEach(function (old) {
      old.remove();
    });
    var names = Array.prototype.map.call(input.files, function (file) { return file.name; });
    instructions.hidden = names.length > 0;
    if (names.length === 0) {
      status.textContent = input.multiple ? "No files selected." : "No file selected.";
      return;
    }
    var heading = document.createElement("div");
    heading.className = "usa-file-input__preview-heading";
    heading.setAttribute("aria-hidden", "true");
    heading.textContent = names.length === 1 ? "Selected file " : names.length + " files selected ";
    var change = document.createElement("span");
    change.className = "usa-file-input__choose";
    change.textContent = names.length === 1 ? "Change file" : "Change files";
    heading.appendChild(change);
    target.insertBefore(heading, instructions);
    names.forEach(function (name) {
      var preview = document.createElement("div");
      preview.className = "usa-file-input__preview";
      preview.setAttribute("aria-hidden", "true");
      preview.textContent = name;
      target.insertBefore(preview, instructions);
    });
    status.textContent = names.length === 1 ? "You have selected the file: " + names[0]
      : "You have selected " + names.length + " files: " + names.join(", ");
  });
  ["dragover", "dragleave", "drop"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var target = event.target.closest && event.target.closest("[data-file-input] .usa-file-input__target");
      if (target) {
        target.classList.toggle("usa-file-input--drag", type === "dragover");
      }
    });
  });

  // Escape closes a dialog, as people expect of one.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && closeDialog()) {
      event.preventDefault();
    }
  });
})();
