/* The draft editor: a small rich-text editor on a contenteditable area, in
   plain JavaScript (no libraries). Without JavaScript the textarea named
   "body" is used directly. The server sanitises whatever arrives
   (content/sanitize.py), so this script only has to be convenient, not safe:
   still, it never builds HTML from strings - every node is created through the
   DOM so user text is always text. */
(function () {
  "use strict";

  var form = document.getElementById("draft-form");
  if (!form) { return; }
  var textarea = form.querySelector("textarea[data-rich-editor]");
  if (!textarea) { return; }
  document.documentElement.classList.add("js");

  // ------------------------------------------------------------ the editing area
  var wrap = document.createElement("div");
  wrap.className = "rich-editor";
  var toolbar = document.createElement("div");
  toolbar.className = "rich-toolbar";
  toolbar.setAttribute("role", "toolbar");
  toolbar.setAttribute("aria-label", "正文格式");
  toolbar.setAttribute("aria-controls", "rich-area");
  var area = document.createElement("div");
  area.id = "rich-area";
  area.className = "rich-area content-body";
  area.contentEditable = "true";
  area.setAttribute("role", "textbox");
  area.setAttribute("aria-multiline", "true");
  area.setAttribute("aria-labelledby", "body-label");
  // The rich area stands for the textarea: the same help and error texts, the same invalid state.
  area.setAttribute("aria-describedby", textarea.getAttribute("aria-describedby") || "id_body_helptext");
  if (textarea.getAttribute("aria-invalid") === "true") { area.setAttribute("aria-invalid", "true"); }
  area.setAttribute("data-testid", "rich-area");
  area.spellcheck = true;
  // The textarea holds HTML already passed through the server's policy.
  area.innerHTML = textarea.value;
  wrap.appendChild(toolbar);
  wrap.appendChild(area);
  textarea.parentNode.insertBefore(wrap, textarea);
  textarea.hidden = true;
  textarea.setAttribute("aria-hidden", "true");
  textarea.tabIndex = -1;
  var label = document.getElementById("body-label");
  if (label) {
    label.removeAttribute("for");
    label.addEventListener("click", function () { area.focus(); });
  }
  try { document.execCommand("defaultParagraphSeparator", false, "p"); } catch (e) { /* older browsers */ }

  function sync() { textarea.value = area.innerHTML; }

  // ------------------------------------------------------------ selection kept across dialogs
  var savedRange = null;
  function saveSelection() {
    var sel = window.getSelection();
    if (sel && sel.rangeCount && area.contains(sel.getRangeAt(0).commonAncestorContainer)) {
      savedRange = sel.getRangeAt(0).cloneRange();
    }
  }
  function restoreSelection() {
    area.focus();
    var sel = window.getSelection();
    if (savedRange) {
      sel.removeAllRanges();
      sel.addRange(savedRange);
    } else {
      var range = document.createRange();
      range.selectNodeContents(area);
      range.collapse(false);
      sel.removeAllRanges();
      sel.addRange(range);
    }
  }
  area.addEventListener("keyup", saveSelection);
  area.addEventListener("mouseup", saveSelection);
  area.addEventListener("input", function () { saveSelection(); sync(); });
  area.addEventListener("blur", saveSelection);

  function exec(command, value) {
    restoreSelection();
    document.execCommand(command, false, value === undefined ? null : value);
    saveSelection();
    sync();
  }

  function placeCaret(node, offset) {
    var sel = window.getSelection();
    var range = document.createRange();
    range.setStart(node, offset);
    range.collapse(true);
    sel.removeAllRanges();
    sel.addRange(range);
    saveSelection();
  }

  // The direct child of the editing area that holds the caret (or null).
  function topBlock(range) {
    var node = range.startContainer;
    if (node === area) {
      node = area.childNodes[Math.max(0, range.startOffset - 1)] || null;
    }
    while (node && node.parentNode !== area) { node = node.parentNode; }
    return node;
  }

  function isEmptyBlock(block) {
    return block.nodeType === 1 && !block.textContent.trim() && !block.querySelector("img, table, figure");
  }

  // Insert a block (table, figure) between the area's blocks, never inside a
  // paragraph, and put the caret in a fresh paragraph after it.
  function insertBlock(node) {
    restoreSelection();
    var block = topBlock(window.getSelection().getRangeAt(0));
    if (!block) {
      area.appendChild(node);
    } else if (isEmptyBlock(block)) {
      area.replaceChild(node, block);
    } else {
      area.insertBefore(node, block.nextSibling);
    }
    var after = document.createElement("p");
    after.appendChild(document.createElement("br"));
    area.insertBefore(after, node.nextSibling);
    placeCaret(after, 0);
    sync();
  }

  // Insert an inline node (a link) at the caret.
  function insertInline(node) {
    restoreSelection();
    var range = window.getSelection().getRangeAt(0);
    range.deleteContents();
    range.insertNode(node);
    range.setStartAfter(node);
    placeCaret(range.startContainer, range.startOffset);
    sync();
  }

  // ------------------------------------------------------------ toolbar
  function safeUrl(value) {
    var url = (value || "").trim();
    return /^(https?:\/\/|mailto:)/i.test(url) ? url : "";
  }

  function insertLink() {
    var url = safeUrl(window.prompt("链接地址（以 https:// 或 http:// 开头）", "https://"));
    if (!url) { return; }
    var sel = window.getSelection();
    restoreSelection();
    if (sel.isCollapsed) {
      var a = document.createElement("a");
      a.href = url;
      a.textContent = url;
      insertInline(a);
    } else {
      exec("createLink", url);
    }
  }

  function insertTable() {
    var answer = window.prompt("表格行数和列数（如 3x3，第一行为表头）", "3x3");
    if (!answer) { return; }
    var m = /^\s*(\d+)\s*[x×*,，]\s*(\d+)\s*$/i.exec(answer);
    if (!m) { return; }
    var rows = Math.min(Math.max(parseInt(m[1], 10), 1), 50);
    var cols = Math.min(Math.max(parseInt(m[2], 10), 1), 12);
    var table = document.createElement("table");
    var thead = document.createElement("thead");
    var tbody = document.createElement("tbody");
    for (var r = 0; r < rows; r++) {
      var tr = document.createElement("tr");
      for (var c = 0; c < cols; c++) {
        var cell = document.createElement(r === 0 ? "th" : "td");
        cell.textContent = r === 0 ? "表头" + (c + 1) : "\u00a0";
        tr.appendChild(cell);
      }
      (r === 0 ? thead : tbody).appendChild(tr);
    }
    table.appendChild(thead);
    if (rows > 1) { table.appendChild(tbody); }
    insertBlock(table);
  }

  var BUTTONS = [
    ["H2", "二级标题", function () { exec("formatBlock", "<h2>"); }],
    ["H3", "三级标题", function () { exec("formatBlock", "<h3>"); }],
    ["H4", "四级标题", function () { exec("formatBlock", "<h4>"); }],
    ["正文", "正文段落", function () { exec("formatBlock", "<p>"); }],
    ["B", "加粗", function () { exec("bold"); }, "bold"],
    ["I", "斜体", function () { exec("italic"); }, "italic"],
    ["• 列表", "无序列表", function () { exec("insertUnorderedList"); }],
    ["1. 列表", "有序列表", function () { exec("insertOrderedList"); }],
    ["链接", "插入链接", insertLink],
    ["去链接", "取消链接", function () { exec("unlink"); }],
    ["表格", "插入表格", insertTable],
    ["图片", "插入图片", openImageDialog],
    ["清除格式", "清除文字格式", function () { exec("removeFormat"); }],
    ["撤销", "撤销", function () { exec("undo"); }],
    ["重做", "重做", function () { exec("redo"); }]
  ];
  BUTTONS.forEach(function (spec) {
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = spec[0];
    button.title = spec[1];
    button.setAttribute("aria-label", spec[1]);
    button.setAttribute("data-command", spec[1]);
    if (spec[3]) { button.className = "tb-" + spec[3]; }
    // Keep the caret in the text when the mouse presses a button.
    button.addEventListener("mousedown", function (event) { event.preventDefault(); saveSelection(); });
    button.addEventListener("click", function () { spec[2](); });
    toolbar.appendChild(button);
  });
  // Arrow keys move within the toolbar (one tab stop for the group).
  var buttons = toolbar.querySelectorAll("button");
  buttons.forEach(function (b, i) { b.tabIndex = i === 0 ? 0 : -1; });
  toolbar.addEventListener("keydown", function (event) {
    if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") { return; }
    var list = Array.prototype.slice.call(buttons);
    var i = list.indexOf(document.activeElement);
    if (i < 0) { return; }
    var next = list[(i + (event.key === "ArrowRight" ? 1 : list.length - 1)) % list.length];
    list[i].tabIndex = -1;
    next.tabIndex = 0;
    next.focus();
    event.preventDefault();
  });

  // Pasted content arrives as plain text: formatting comes from the toolbar,
  // and nothing foreign (styles, scripts, tracking images) enters the draft.
  area.addEventListener("paste", function (event) {
    var data = event.clipboardData || window.clipboardData;
    if (!data) { return; }
    event.preventDefault();
    document.execCommand("insertText", false, data.getData("text/plain"));
  });

  form.addEventListener("submit", sync);
  // The autosave (autosave.js) reads the textarea, and may restore content into it.
  form.addEventListener("autosave:collect", sync);
  form.addEventListener("autosave:restore", function () { area.innerHTML = textarea.value; });

  // ------------------------------------------------------------ images
  var dialog = document.getElementById("image-dialog");
  var imageForm = document.getElementById("image-form");
  var imageError = document.getElementById("image-error");

  // The message is the described-by text of the file and source inputs; the one at fault is marked invalid.
  function showImageError(text, input) {
    imageError.textContent = text;
    imageError.hidden = !text;
    ["image-file", "image-source"].forEach(function (id) {
      var element = document.getElementById(id);
      if (element === input) { element.setAttribute("aria-invalid", "true"); } else { element.removeAttribute("aria-invalid"); }
    });
  }

  function currentAccount() {
    var select = form.querySelector("[name=account]");
    return form.getAttribute("data-account-id") || (select ? select.value : "");
  }

  function openImageDialog() {
    saveSelection();
    if (!dialog || typeof dialog.showModal !== "function") {
      window.alert("当前浏览器不支持插入图片对话框，请使用“上传图片”页面。");
      return;
    }
    if (!currentAccount()) {
      window.alert("请先选择发布账号，再插入图片。");
      return;
    }
    imageForm.reset();
    showImageError("");
    dialog.showModal();
    document.getElementById("image-file").focus();
  }

  function csrfToken() {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function figureFor(image) {
    var figure = document.createElement("figure");
    var img = document.createElement("img");
    img.src = image.url;
    img.alt = image.alt || "";
    var caption = document.createElement("figcaption");
    caption.textContent = image.caption;
    figure.appendChild(img);
    figure.appendChild(caption);
    return figure;
  }

  if (imageForm) {
    imageForm.addEventListener("submit", function (event) {
      var submitter = event.submitter;
      if (submitter && submitter.value === "cancel") { return; } // closes the dialog
      event.preventDefault();
      var file = document.getElementById("image-file").files[0];
      var source = document.getElementById("image-source").value.trim();
      if (!file) { showImageError("请选择要上传的图片", document.getElementById("image-file")); return; }
      if (!source) {
        showImageError("请填写图片来源", document.getElementById("image-source"));
        document.getElementById("image-source").focus();
        return;
      }
      var data = new FormData();
      data.append("account", currentAccount());
      data.append("file", file);
      data.append("source", source);
      data.append("alt", document.getElementById("image-alt").value.trim());
      var insertButton = document.getElementById("image-insert");
      insertButton.disabled = true;
      showImageError("");
      fetch(form.getAttribute("data-upload-url"), {
        method: "POST", body: data, credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json", "X-Requested-With": "fetch" }
      }).then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      }).then(function (result) {
        insertButton.disabled = false;
        if (!result.ok) {
          var msgs = [];
          var fields = result.body.fields || {};
          Object.keys(fields).forEach(function (k) { msgs = msgs.concat(fields[k]); });
          showImageError(msgs.length ? msgs.join("；") : (result.body.detail || "上传失败"));
          return;
        }
        dialog.close();
        insertBlock(figureFor(result.body));
      }).catch(function () {
        insertButton.disabled = false;
        showImageError("上传失败，请检查网络后重试");
      });
    });
  }

  // ------------------------------------------------------------ the pre-check
  var precheckButton = document.getElementById("run-precheck");
  var result = document.getElementById("precheck-result");
  if (precheckButton && result) {
    precheckButton.addEventListener("click", function (event) {
      event.preventDefault();
      sync();
      var data = new FormData(form);
      precheckButton.disabled = true;
      result.setAttribute("aria-busy", "true");
      fetch(precheckButton.getAttribute("formaction"), {
        method: "POST", body: data, credentials: "same-origin",
        headers: { "X-Requested-With": "fetch", "X-CSRFToken": csrfToken() }
      }).then(function (response) {
        return response.text().then(function (text) { return { ok: response.ok, text: text }; });
      }).then(function (answer) {
        precheckButton.disabled = false;
        result.removeAttribute("aria-busy");
        if (!answer.ok) {
          result.textContent = "机审预检失败，请稍后重试。";
          return;
        }
        // A fragment rendered by our own template: every value in it is escaped.
        result.innerHTML = answer.text;
        var heading = document.getElementById("precheck-heading");
        if (heading) { heading.focus(); }
      }).catch(function () {
        precheckButton.disabled = false;
        result.removeAttribute("aria-busy");
        result.textContent = "机审预检失败，请检查网络后重试。";
      });
    });
  }

})();
