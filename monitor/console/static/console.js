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

  function liveQueue() {
    var status = document.getElementById("live-status");
    var target = document.getElementById("queue");
    if (!status || !target || !window.EventSource) { return; }
    var state = document.getElementById("live-state");
    var url = status.getAttribute("data-rows-url");
    var source = new EventSource("/events");
    var shown = null;
    source.addEventListener("open", function () { state.textContent = "on"; });
    source.addEventListener("error", function () {
      state.textContent = source.readyState === EventSource.CLOSED ? "off (reload the page)" : "reconnecting…";
    });
    source.addEventListener("queue", function (evt) {
      var data = JSON.parse(evt.data);
      state.textContent = "on · " + data.open + " open";
      if (shown !== null && shown === data.version) { return; }
      var current = target.querySelector(".queue");
      if (shown === null && current && String(data.version) === current.getAttribute("data-version")) {
        shown = data.version;
        return;
      }
      shown = data.version;
      window.htmx.ajax("GET", url, { target: "#queue", swap: "innerHTML" });
    });
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
    liveQueue();
    shortcuts();
  });
})();
