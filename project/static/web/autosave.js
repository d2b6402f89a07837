/* Autosave of a form's unsaved content (the editor, the reviewer's decision
   form): <form data-autosave-key data-autosave-base data-autosave-url
   data-autosave-interval>. Plain JS, no library.

   - Every data-autosave-interval seconds, when the content changed since the
     last save, and when the page is hidden or left (fetch keepalive), the form's
     fields go to POST /autosave/ as JSON with the CSRF token. The server keeps
     them as the user's work in progress (not a revision; the HTML body is
     sanitised there) and answers when it saved; these requests do not extend
     the idle session.
   - A copy also stays in sessionStorage ("wip:<user id>:<form key>", this tab
     only), written as the user types: it survives the trip through the login
     page when the session has ended, and carries what was typed after the last
     autosave. Back on the form, a newer copy is sent to the server, which
     returns it sanitised, and restored with the notice 已恢复您上次未保存的内容.
     session.js drops the copies of other users, those of forms saved for real,
     and all of them on signing out.
   - Submitting the form for real waits for an autosave in flight and stops
     autosaving, so that no late autosave outlives the real save.

   The editor (editor.js) listens to "autosave:collect" (copy the rich text into
   its textarea) and "autosave:restore" (load the textarea into the rich text). */
(function () {
  "use strict";
  var forms = document.querySelectorAll("form[data-autosave-key]");
  if (!forms.length || !window.fetch || !window.JSON) { return; }
  var userId = (document.body && document.body.getAttribute("data-user-id")) || "";
  var csrfCookieName = (document.body && document.body.getAttribute("data-csrf-cookie")) || "csrftoken";
  var KEEPALIVE_LIMIT = 60000;  // bytes: browsers refuse larger keepalive bodies
  var controllers = [];

  function fire(target, name) {
    var event;
    try { event = new CustomEvent(name); } catch (e) { event = document.createEvent("Event"); event.initEvent(name, false, false); }
    target.dispatchEvent(event);
  }

  function csrfToken(form) {
    var match = document.cookie.match(new RegExp("(?:^|;\\s*)" + csrfCookieName + "=([^;]+)"));
    if (match) { return decodeURIComponent(match[1]); }
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function storage() {
    try { return window.sessionStorage; } catch (e) { return null; }
  }

  function skipped(el) {
    var type = (el.type || "").toLowerCase();
    return !el.name || el.disabled || el.name === "csrfmiddlewaretoken" ||
      /^(submit|button|reset|file|hidden|image)$/.test(type) || (el.tagName || "").toLowerCase() === "fieldset";
  }

  function setup(form) {
    var key = form.getAttribute("data-autosave-key");
    var base = form.getAttribute("data-autosave-base") || "";
    var url = form.getAttribute("data-autosave-url");
    var interval = Math.max(2, parseInt(form.getAttribute("data-autosave-interval"), 10) || 15) * 1000;
    var statusEl = form.querySelector("[data-autosave-status]");
    var notice = document.querySelector("[data-autosave-restored]");
    var storageKey = "wip:" + userId + ":" + key;
    var inFlight = null;
    var stopped = false;       // the form was submitted (or its autosave discarded)
    var paused = false;        // the session has ended, or the server refused this form
    var localTimer = null;
    var waited = false;

    function serialize() {
      fire(form, "autosave:collect");
      var data = {};
      Array.prototype.forEach.call(form.elements, function (el) {
        if (skipped(el)) { return; }
        var type = (el.type || "").toLowerCase();
        if (type === "checkbox") {
          data[el.name] = el.checked;
        } else if (type === "radio") {
          if (!(el.name in data)) { data[el.name] = ""; }
          if (el.checked) { data[el.name] = el.value; }
        } else {
          data[el.name] = el.value;
        }
      });
      return JSON.stringify(data);
    }

    function apply(data) {
      Array.prototype.forEach.call(form.elements, function (el) {
        if (skipped(el) || !Object.prototype.hasOwnProperty.call(data, el.name)) { return; }
        var value = data[el.name];
        var type = (el.type || "").toLowerCase();
        if (type === "checkbox") { el.checked = value === true || value === "on"; }
        else if (type === "radio") { el.checked = el.value === value; }
        else { el.value = value === null || value === undefined ? "" : String(value); }
      });
      fire(form, "autosave:restore");
    }

    function setStatus(message, state) {
      if (!statusEl) { return; }
      statusEl.textContent = message;
      statusEl.setAttribute("data-state", state || "");
    }

    function writeLocal(snapshot, dirty) {
      var store = storage();
      if (!store || !userId) { return; }
      try {
        store.setItem(storageKey, JSON.stringify({ base: base, dirty: dirty, at: Date.now(), snapshot: snapshot }));
      } catch (e) { /* storage full or disabled: the server's copy remains */ }
    }

    function readLocal() {
      var store = storage();
      if (!store) { return null; }
      try { return JSON.parse(store.getItem(storageKey) || "null"); } catch (e) { return null; }
    }

    function dropLocal() {
      var store = storage();
      if (store) { try { store.removeItem(storageKey); } catch (e) { /* ignore */ } }
    }

    var lastSaved = serialize();  // what the server holds, or what the page was opened with

    function save(options) {
      options = options || {};
      if (stopped || (paused && !options.force)) { return Promise.resolve(null); }
      var snapshot = options.snapshot || serialize();
      if (snapshot === lastSaved && !options.force) { return Promise.resolve(null); }
      var payload = JSON.stringify({ key: key, base: base, user: userId, data: JSON.parse(snapshot),
                                     echo: !!options.echo });
      var init = { method: "POST", credentials: "same-origin", cache: "no-store", body: payload,
                   headers: { "Content-Type": "application/json", "Accept": "application/json",
                              "X-Requested-With": "fetch", "X-CSRFToken": csrfToken(form) } };
      if (options.keepalive) {
        var size = window.Blob ? new Blob([payload]).size : payload.length * 3;
        if (size < KEEPALIVE_LIMIT) { init.keepalive = true; }
      }
      var request = fetch(url, init).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (answer) {
          return { status: response.status, ok: response.ok, body: answer || {} };
        });
      }).then(function (result) {
        if (result.ok) {
          lastSaved = snapshot;
          paused = false;
          if (!options.snapshot) { writeLocal(snapshot, serialize() !== snapshot); }
          setStatus("已自动保存（" + (result.body.saved_label || "") + "）", "ok");
          return result.body;
        }
        var detail = result.body.detail || "";
        if (result.status === 401) {
          paused = true;
          setStatus("登录已失效，未能自动保存；已填写的内容仍保留在本页面。", "error");
          fire(document, "session:check");
        } else if (result.status === 403 && !result.body.code) {
          paused = true;
          setStatus("未能自动保存：安全校验未通过，请刷新页面后再试。", "error");
        } else if (result.status === 403 || result.body.code === "user_changed") {
          paused = true;
          setStatus("未能自动保存：" + (detail || "没有权限"), "error");
        } else {
          setStatus("未能自动保存：" + (detail || "请稍后重试"), "error");
        }
        return null;
      }, function () {
        setStatus("自动保存失败，请检查网络；稍后将再次尝试。", "error");
        return null;
      });
      inFlight = request;
      request.then(function () { if (inFlight === request) { inFlight = null; } });
      return request;
    }

    // Leaving or hiding the page: the browser's copy now, the server's as the page goes.
    function flush() {
      if (stopped) { return; }
      var snapshot = serialize();
      if (snapshot !== lastSaved) {
        writeLocal(snapshot, true);
        save({ keepalive: true });
      }
    }

    // ---------------------------------------------------------- the copy in this tab
    var local = readLocal();
    if (local && (local.base !== base || typeof local.snapshot !== "string")) {
      dropLocal();  // for content that has been saved again since
      local = null;
    }
    if (local && local.dirty && local.snapshot !== lastSaved) {
      // Typed here after the last autosave (e.g. when the session had ended):
      // it goes through the server, which keeps it and returns it sanitised,
      // and only then into the form.
      var shown = lastSaved;
      save({ force: true, echo: true, snapshot: local.snapshot }).then(function (answer) {
        if (!answer || !answer.data) { lastSaved = shown; return; }  // the page keeps what the server gave it
        if (serialize() === shown) {
          apply(answer.data);
          lastSaved = serialize();
          writeLocal(lastSaved, false);
          if (notice) {
            var time = notice.querySelector("[data-autosave-restored-time]");
            if (time) { time.textContent = answer.saved_label || ""; }
            var stale = notice.querySelector("[data-autosave-stale]");
            if (stale) { stale.hidden = true; }
            notice.hidden = false;
          }
        } else {
          lastSaved = shown;  // typed into meanwhile: that wins, and is saved in turn
        }
      });
    }

    // ---------------------------------------------------------- when to save
    function typed() {
      if (stopped) { return; }
      window.clearTimeout(localTimer);
      localTimer = window.setTimeout(function () {
        var snapshot = serialize();
        writeLocal(snapshot, snapshot !== lastSaved);
      }, 800);
    }
    form.addEventListener("input", typed);
    form.addEventListener("change", typed);
    window.setInterval(function () { save(); }, interval);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") { flush(); }
    });
    window.addEventListener("pagehide", flush);
    document.addEventListener("session:warning", function () { save(); });
    document.addEventListener("session:ending", function () { save(); });
    document.addEventListener("session:expired", function () {
      paused = true;
      var snapshot = serialize();
      writeLocal(snapshot, snapshot !== lastSaved);
      setStatus("登录已失效：已填写的内容仍保留在本页面，重新登录后将恢复。", "error");
    });
    function resume() {
      if (!paused) { return; }
      paused = false;
      save();
    }
    document.addEventListener("session:restored", resume);
    document.addEventListener("session:extended", resume);

    // The real save: the page's own POST carries the content from here on.
    form.addEventListener("submit", function (event) {
      var snapshot = serialize();
      writeLocal(snapshot, snapshot !== lastSaved);
      if (inFlight && !waited) {
        // Let a running autosave finish first, so that it cannot land after the save.
        event.preventDefault();
        var submitter = event.submitter || null;
        var go = function () {
          waited = true;
          if (form.requestSubmit) { form.requestSubmit(submitter || undefined); } else { stopped = true; form.submit(); }
        };
        Promise.race([inFlight, new Promise(function (resolve) { window.setTimeout(resolve, 3000); })]).then(go, go);
        return;
      }
      stopped = true;
      waited = false;
    });

    controllers.push({ stop: function () { stopped = true; dropLocal(); } });
  }

  forms.forEach(setup);

  // 放弃: the autosaved content is dropped; nothing may save it again on the way out.
  document.querySelectorAll("form[data-autosave-discard]").forEach(function (discard) {
    discard.addEventListener("submit", function () {
      controllers.forEach(function (c) { c.stop(); });
    });
  });
}());
