// Reviewer console: live queue over Server-Sent Events, CSRF header for htmx, review keyboard shortcuts.
// Loaded as a static file (the CSP allows no inline script). Without JavaScript every page still works.
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  document.addEventListener("htmx:configRequest", function (evt) {
    evt.detail.headers["X-CSRF-Token"] = csrfToken();
  });

  document.addEventListener("htmx:responseError", function (evt) {
    if (evt.detail.xhr.status === 401) {  // the session ended: log in again, then come back here
      window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname + window.location.search));
    }
  });

  // One event stream per page: the queue re-fetches its rows, an alert page its review history.
  function liveUpdates() {
    var queue = document.getElementById("queue");
    var status = document.getElementById("live-status");
    var history = document.querySelector("[data-live-history]");
    if (!window.EventSource || !(queue && status) && !history) { return; }
    var state = document.getElementById("live-state");
    var shown = null;
    function refresh() {
      if (queue) {
        window.htmx.ajax("GET", status.getAttribute("data-rows-url"), { target: "#queue", swap: "innerHTML" });
      } else {
        window.htmx.ajax("GET", window.location.pathname, { target: "#review-history", select: "#review-history", swap: "outerHTML" });
      }
    }
    var source = new EventSource("/events");
    source.addEventListener("open", function () { if (state) { state.textContent = "on"; } });
    source.addEventListener("error", function () {
      if (state) { state.textContent = source.readyState === EventSource.CLOSED ? "off (reload the page)" : "reconnecting…"; }
    });
    source.addEventListener("queue", function (evt) {
      var data = JSON.parse(evt.data);
      if (state) { state.textContent = "on · " + data.open + " open"; }
      var rendered = document.querySelector("[data-version]");
      if (shown === null && rendered && String(data.version) === rendered.getAttribute("data-version")) {
        shown = data.version;  // the page is already as new as the feed
        return;
      }
      if (shown === data.version) { return; }
      shown = data.version;
      refresh();
    });
    if (queue) {  // keep the ages current between events
      window.setInterval(function () { if (!document.hidden) { refresh(); } }, 30000);
    }
  }

  function shortcuts() {
    var form = document.getElementById("review-form");
    if (!form) { return; }
    var buttons = {};
    form.querySelectorAll("button[data-key]").forEach(function (b) { buttons[b.getAttribute("data-key")] = b; });
    function submit(button) {
      if (form.getAttribute("data-sent")) { return; }
      form.setAttribute("data-sent", "1");
      form.requestSubmit(button);
    }
    document.addEventListener("keydown", function (evt) {
      var inField = /^(INPUT|TEXTAREA|SELECT)$/.test(evt.target.tagName);
      if (inField) {
        if (evt.key === "Enter" && (evt.ctrlKey || evt.metaKey) && evt.target.id === "note") {
          evt.preventDefault();
          submit(buttons.c);
        }
        if (evt.key === "Escape") { evt.target.blur(); }
        return;
      }
      if (evt.ctrlKey || evt.metaKey || evt.altKey) { return; }
      var button = buttons[evt.key.toLowerCase()];
      if (button) { evt.preventDefault(); submit(button); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    liveUpdates();
    shortcuts();
  });
})();
