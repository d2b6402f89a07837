/* An evidence pack's page: ask the page again (as JSON) every two seconds
   until the task has built the pack or failed, and show its progress and the
   download link. Without this script the page says to reload it. */
(function () {
  "use strict";
  var box = document.querySelector("[data-pack-progress]");
  if (!box || box.getAttribute("data-done") === "true") { return; }
  var url = box.getAttribute("data-url");
  var statusEl = box.querySelector("[data-pack-status]");
  var bar = box.querySelector("[data-pack-bar]");
  var percent = box.querySelector("[data-pack-percent]");
  var ready = box.querySelector("[data-pack-ready]");
  var entries = box.querySelector("[data-pack-entries]");
  var error = box.querySelector("[data-pack-error]");
  var waiting = box.querySelector("[data-pack-waiting]");

  function show(state) {
    statusEl.textContent = state.status_label;
    statusEl.setAttribute("data-status", state.status);
    bar.value = state.progress;
    bar.textContent = state.progress + "%";
    percent.textContent = state.progress + "%";
    if (state.status === "ready") {
      entries.textContent = String(state.entries);
      ready.hidden = false;
    }
    if (state.error) {
      error.textContent = "生成失败：" + state.error;
      error.hidden = false;
    }
    if (state.done && waiting) { waiting.hidden = true; }
  }

  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (state) {
        if (!state) { return; }
        show(state);
        if (!state.done) { window.setTimeout(poll, 2000); }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
}());
