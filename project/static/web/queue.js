/* The reviewer queue, live: a subscriber of the page's one socket (live.js,
   topic "queue"). The server tells the page that a submission entered or left
   the queue of one of the user's tiers, or that a colleague claimed or
   released it; the page then fetches its own table body again (?fragment=1
   with the current filters, so the server re-applies permissions and filters)
   and swaps it in, highlighting new rows and announcing them in a polite live
   region. After a reconnection it fetches once, for what it may have missed.
   Plain JS, no library. */
(function () {
  "use strict";
  var table = document.getElementById("queue-table");
  if (!table || !window.webLive || !window.fetch) { return; }
  var statusEl = document.getElementById("live-status");
  var announcer = document.getElementById("queue-announcer");
  var refreshTimer = null;
  var inFlight = false;
  var again = false;
  var STATES = {
    connecting: "连接中…", open: "已连接", reconnecting: "重新连接中…", paused: "已暂停（页面在后台），回到页面时恢复",
    offline: "网络已断开，恢复后自动重连", closed: "已断开，请刷新页面或重新登录"
  };

  function setStatus(state) {
    if (!statusEl || !STATES[state]) { return; }
    statusEl.textContent = "实时更新：" + STATES[state];
    statusEl.setAttribute("data-state", state);
  }

  function announce(titles) {
    if (!announcer || !titles.length) { return; }
    var shown = titles.slice(0, 3).map(function (t) { return "《" + t + "》"; }).join("、");
    var text = "新进入队列 " + titles.length + " 项：" + shown + (titles.length > 3 ? " 等" : "") + "。";
    // Clear first, so that the same text twice is announced twice.
    announcer.textContent = "";
    window.setTimeout(function () { announcer.textContent = text; }, 50);
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
        var focused = document.activeElement && document.activeElement.closest &&
          document.activeElement.closest("tr[data-submission]");
        var focusedId = focused ? focused.getAttribute("data-submission") : null;
        old.parentNode.replaceChild(fresh, old);
        var added = [];
        fresh.querySelectorAll("tr[data-submission]").forEach(function (row) {
          if (!before[row.getAttribute("data-submission")]) {
            row.classList.add("flash-new");
            var title = row.querySelector("[data-testid=queue-title]");
            added.push(title ? title.textContent.trim() : "");
          }
        });
        announce(added);
        if (focusedId) {
          var target = fresh.querySelector('tr[data-submission="' + focusedId + '"] a, tr[data-submission="' + focusedId + '"] button');
          if (target) { target.focus(); }
        }
        var total = document.querySelector("[data-queue-total]");
        if (total) { total.textContent = fresh.getAttribute("data-total") || "0"; }
      })
      .catch(function () { /* the next event or reconnection tries again */ })
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

  window.webLive.subscribe("queue");
  window.webLive.on("state", setStatus);
  window.webLive.on("queue", scheduleRefresh);
  window.webLive.on("open", function (event) { if (event.reconnected) { scheduleRefresh(); } });
  setStatus("connecting");
}());
