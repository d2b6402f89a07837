/* The reviewer queue, live: a websocket (/ws/queue/) tells the page that a
   submission entered or left the queue of one of the user's tiers, or that a
   colleague claimed or released it; the page then fetches its own table body
   again (?fragment=1 with the current filters, so the server re-applies
   permissions and filters) and swaps it in, highlighting new rows. Plain JS,
   no library; reconnects with backoff. */
(function () {
  "use strict";
  var table = document.getElementById("queue-table");
  if (!table || !window.WebSocket || !window.fetch) { return; }
  var statusEl = document.getElementById("live-status");
  var wsPath = table.getAttribute("data-ws-path") || "/ws/queue/";
  var socket = null;
  var attempts = 0;
  var everConnected = false;
  var refreshTimer = null;
  var inFlight = false;
  var again = false;
  var pingTimer = null;

  function setStatus(text, state) {
    if (!statusEl) { return; }
    statusEl.textContent = "实时更新：" + text;
    statusEl.setAttribute("data-state", state);
  }

  function fragmentUrl() {
    var url = new URL(window.location.href);
    url.searchParams.set("fragment", "1");
    return url.toString();
  }

  function rowIds(tbody) {
    var ids = {};
    if (tbody) {
      tbody.querySelectorAll("tr[data-submission]").forEach(function (row) {
        ids[row.getAttribute("data-submission")] = true;
      });
    }
    return ids;
  }

  function refresh() {
    if (inFlight) { again = true; return; }
    inFlight = true;
    fetch(fragmentUrl(), { credentials: "same-origin", cache: "no-store",
                           headers: { "X-Requested-With": "XMLHttpRequest" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text();
      })
      .then(function (html) {
        var holder = document.createElement("template");
        holder.innerHTML = "<table>" + html + "</table>";
        var fresh = holder.content.querySelector("tbody#queue-body");
        var old = document.getElementById("queue-body");
        if (!fresh || !old) { return; }  // e.g. the session ended: the login page came back
        var before = rowIds(old);
        var focusedId = document.activeElement && document.activeElement.closest &&
          document.activeElement.closest("tr[data-submission]") ?
          document.activeElement.closest("tr[data-submission]").getAttribute("data-submission") : null;
        old.parentNode.replaceChild(fresh, old);
        fresh.querySelectorAll("tr[data-submission]").forEach(function (row) {
          if (!before[row.getAttribute("data-submission")]) { row.classList.add("flash-new"); }
        });
        if (focusedId) {
          var target = fresh.querySelector('tr[data-submission="' + focusedId + '"] a, tr[data-submission="' + focusedId + '"] button');
          if (target) { target.focus(); }
        }
        var total = document.querySelector("[data-queue-total]");
        if (total) { total.textContent = fresh.getAttribute("data-total") || "0"; }
      })
      .catch(function () { /* the next event or reconnect tries again */ })
      .then(function () {
        inFlight = false;
        if (again) { again = false; refresh(); }
      });
  }

  function scheduleRefresh() {
    // Events often come in pairs (left tier 1, entered tier 2): one fetch for both.
    if (refreshTimer) { return; }
    refreshTimer = window.setTimeout(function () { refreshTimer = null; refresh(); }, 60);
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    try {
      socket = new WebSocket(scheme + window.location.host + wsPath);
    } catch (e) {
      retry();
      return;
    }
    socket.onopen = function () {
      var reconnected = everConnected;
      attempts = 0;
      everConnected = true;
      setStatus("已连接", "open");
      if (reconnected) { scheduleRefresh(); }  // events may have been missed while away
      if (pingTimer) { window.clearInterval(pingTimer); }
      pingTimer = window.setInterval(function () {
        if (socket && socket.readyState === WebSocket.OPEN) { socket.send(JSON.stringify({ type: "ping" })); }
      }, 30000);
    };
    socket.onmessage = function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      if (message.type === "queue") { scheduleRefresh(); }
      else if (message.type === "notification") { window.webApp.bumpNotificationBadge(); }
    };
    socket.onclose = function () {
      if (pingTimer) { window.clearInterval(pingTimer); pingTimer = null; }
      retry();
    };
  }

  function retry() {
    setStatus("重新连接中…", "reconnecting");
    var delay = Math.min(30000, 500 * Math.pow(2, attempts)) + Math.floor(Math.random() * 300);
    attempts += 1;
    window.setTimeout(connect, delay);
  }

  setStatus("连接中…", "connecting");
  connect();
}());
