// OpenOps page behaviour. Loaded on every page (deferred); each part looks for its own
// elements, so a page without them costs nothing. No inline scripts anywhere (CSP-ready), and
// text from users or alerts only ever reaches the page through textContent.
"use strict";

(function () {
  // Elements that only make sense with JavaScript are hidden by CSS until this class is set.
  document.documentElement.classList.add("js");

  var NARROW = window.matchMedia ? window.matchMedia("(max-width: 40rem)") : { matches: false };

  // One polite live region (base.html) says what a button did, for screen readers.
  var announcer = document.querySelector("[data-announce]");
  function announce(text) {
    if (!announcer) return;
    announcer.textContent = "";
    // A new text node a moment later, so the same message twice is still read twice.
    window.setTimeout(function () { announcer.textContent = text; }, 50);
  }

  // A region that scrolls sideways gets a keyboard stop (and a focus ring), only while it does;
  // checked again when the window changes size or the page says its text changed.
  var scrollWatched = [];
  function rescan() { scrollWatched.forEach(function (check) { check(); }); }
  function watchScroll(el) {
    function check() {
      if (el.scrollWidth > el.clientWidth + 1) {
        el.setAttribute("tabindex", "0");
        el.classList.add("scrolls");
      } else {
        el.removeAttribute("tabindex");
        el.classList.remove("scrolls");
      }
    }
    check();
    scrollWatched.push(check);
  }
  var pending = false;
  window.addEventListener("resize", function () {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () { pending = false; rescan(); });
  });
  document.addEventListener("openops:textchanged", rescan);

  // Code blocks of rendered Markdown: a bar with the language and a copy button above the
  // code, so the button never covers the end of a command, and the block scrolls on its own.
  function addCopyButtons(root) {
    root.querySelectorAll("pre > code").forEach(function (code) {
      var pre = code.parentElement;
      if (pre.parentElement && pre.parentElement.classList.contains("codeblock")) return;
      var block = document.createElement("div");
      block.className = "codeblock";
      var bar = document.createElement("div");
      bar.className = "codebar";
      var language = /(?:^|\s)language-([A-Za-z0-9-]+)/.exec(code.className);
      var tag = document.createElement("span");
      tag.className = "codelang";
      tag.textContent = language ? language[1] : "";
      var button = document.createElement("button");
      button.type = "button";
      button.className = "copy small";
      button.textContent = "Copy";
      button.setAttribute("aria-label", "Copy code");
      button.addEventListener("click", function () {
        copyText(code.textContent).then(
          function () { flash(button, "Copied"); announce("Copied to the clipboard"); },
          function () { flash(button, "Select and copy"); announce("Could not copy; select the text and copy it"); }
        );
      });
      bar.appendChild(tag);
      bar.appendChild(button);
      pre.parentElement.insertBefore(block, pre);
      block.appendChild(bar);
      block.appendChild(pre);
      watchScroll(pre);
    });
    root.querySelectorAll("table").forEach(watchScroll);
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Plain-HTTP installations (a lab, an incident laptop): the old way still works.
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      document.body.removeChild(area);
      if (ok) { resolve(); } else { reject(new Error("copy refused")); }
    });
  }

  function flash(button, text) {
    button.textContent = text;
    window.setTimeout(function () { button.textContent = "Copy"; }, 1500);
  }

  // Heading permalinks are rendered as "#"; name them after their heading for screen readers.
  function nameHeadingLinks(root) {
    root.querySelectorAll("a.headerlink").forEach(function (link) {
      var heading = link.parentElement;
      var text = "";
      heading.childNodes.forEach(function (node) { if (node !== link) text += node.textContent; });
      text = text.replace(/\s+/g, " ").trim();
      link.setAttribute("aria-label", text ? "Link to the section " + text : "Link to this section");
    });
  }

  document.querySelectorAll("[data-copy-code]").forEach(function (root) {
    addCopyButtons(root);
    nameHeadingLinks(root);
  });
  document.querySelectorAll("[data-scroll-x]").forEach(watchScroll);

  // On a phone the table of contents starts closed: the runbook's text comes first.
  if (NARROW.matches) {
    document.querySelectorAll("details[data-collapse-narrow]").forEach(function (d) { d.open = false; });
  }

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  // Folded sections (a runbook's background, opened from an alert) open for a link to a
  // heading inside them, where the browser does not do it itself, and for printing.
  function openAround(target) {
    for (var d = target && target.closest("details"); d; d = d.parentElement.closest("details")) {
      d.open = true;
    }
  }
  function revealHash() {
    var id = window.location.hash.slice(1);
    if (!id) return;
    try { id = decodeURIComponent(id); } catch (e) { return; }
    var target = document.getElementById(id);
    if (target && target.closest("details:not([open])")) {
      openAround(target);
      target.scrollIntoView();
    }
  }
  window.addEventListener("hashchange", revealHash);
  revealHash();
  var foldedForPrint = [];
  window.addEventListener("beforeprint", function () {
    foldedForPrint = Array.prototype.slice.call(document.querySelectorAll("details.background:not([open])"));
    foldedForPrint.forEach(function (d) { d.open = true; });
  });
  window.addEventListener("afterprint", function () {
    foldedForPrint.forEach(function (d) { d.open = false; });
    foldedForPrint = [];
  });
})();

// Placeholders in code filled by the server from the labels of the alert that opened the
// runbook (runbooks/placeholders.py): each value is a `.ph-value` holding the placeholder as
// written in `data-placeholder`. The code that holds one is marked, and the original commands
// stay one click away (only text is swapped: values come from a URL anyone can write).
(function () {
  var body = document.querySelector("[data-fill-placeholders]");
  if (!body) return;
  var values = Array.prototype.slice.call(body.querySelectorAll(".ph-value[data-placeholder]"));
  if (!values.length) return;
  values.forEach(function (el) { el.setAttribute("data-value", el.textContent); });

  function show(filled) {
    values.forEach(function (el) {
      el.textContent = el.getAttribute(filled ? "data-value" : "data-placeholder");
      el.classList.toggle("ph-value", filled);
      var code = el.closest("code");
      var pre = code && code.parentElement;
      if (pre && pre.tagName === "PRE") pre.classList.toggle("filled", filled);
      else if (code) code.classList.toggle("filled", filled);
    });
    document.dispatchEvent(new Event("openops:textchanged"));
  }
  show(true);

  var note = document.querySelector("[data-placeholder-note]");
  var status = document.querySelector("[data-placeholder-status]");
  var button = document.querySelector("[data-toggle-placeholders]");
  if (!note || !button) return;
  var filledText = "Commands below use this alert's labels.";
  if (status) status.textContent = filledText;
  note.hidden = false;
  var showingFilled = true;
  button.addEventListener("click", function () {
    showingFilled = !showingFilled;
    show(showingFilled);
    button.textContent = showingFilled ? "Show original commands" : "Show with alert values";
    if (status) status.textContent = showingFilled ? filledText : "Commands below are shown as written.";
  });
})();

// The header search box: "/" focuses it from anywhere but a text field; as you type, titles
// and alert names from /api/v1/search/suggest/ appear below it (a listbox: arrows move, Enter
// opens, Escape closes). Without JavaScript it is a plain search form.
(function () {
  var box = document.getElementById("site-search");
  if (!box) return;
  var form = box.form;

  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    var typing = target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName);
    if (typing) return;
    event.preventDefault();
    box.focus();
    box.select();
  });

  var list = document.createElement("ul");
  list.id = "site-suggestions";
  list.className = "suggestions";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "Suggestions");
  list.hidden = true;
  form.appendChild(list);
  box.setAttribute("role", "combobox");
  box.setAttribute("aria-autocomplete", "list");
  box.setAttribute("aria-controls", list.id);
  box.setAttribute("aria-expanded", "false");
  box.setAttribute("autocomplete", "off");

  var KIND = { runbook: "runbook", postmortem: "post-mortem", report: "report", alert: "alert" };
  var items = [], active = -1, timer = null, asked = "";

  function close() {
    list.hidden = true;
    box.setAttribute("aria-expanded", "false");
    box.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function highlight(index) {
    items.forEach(function (item, i) { item.setAttribute("aria-selected", i === index ? "true" : "false"); });
    active = index;
    if (index >= 0) box.setAttribute("aria-activedescendant", items[index].id);
    else box.removeAttribute("aria-activedescendant");
  }

  function show(suggestions) {
    list.textContent = "";
    items = suggestions.map(function (s, i) {
      var item = document.createElement("li");
      item.id = "site-suggestion-" + i;
      item.setAttribute("role", "option");
      var link = document.createElement("a");
      link.href = s.url;
      link.tabIndex = -1;
      link.textContent = s.label;
      var kind = document.createElement("span");
      kind.className = "muted";
      kind.textContent = " " + (KIND[s.kind] || s.kind);
      link.appendChild(kind);
      item.appendChild(link);
      list.appendChild(item);
      return item;
    });
    list.hidden = items.length === 0;
    box.setAttribute("aria-expanded", items.length ? "true" : "false");
    highlight(-1);
  }

  function ask() {
    var text = box.value.trim();
    if (text.length < 2) { close(); return; }
    if (text === asked) return;
    asked = text;
    fetch(box.dataset.suggest + "?q=" + encodeURIComponent(text), {
      credentials: "same-origin", headers: { Accept: "application/json" }
    }).then(function (response) { return response.ok ? response.json() : []; })
      .then(function (suggestions) { if (box.value.trim() === text) show(suggestions); })
      .catch(function () { close(); });
  }

  box.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(ask, 120);
  });
  box.addEventListener("keydown", function (event) {
    if (list.hidden || !items.length) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      var next = active + (event.key === "ArrowDown" ? 1 : -1);  // -1: back in the box
      if (next < -1) next = items.length - 1;
      if (next >= items.length) next = -1;
      highlight(next);
    } else if (event.key === "Enter" && active >= 0) {
      event.preventDefault();
      window.location.href = items[active].querySelector("a").href;
    } else if (event.key === "Escape") {
      close();
    }
  });
  box.addEventListener("blur", function () { window.setTimeout(close, 200); });
})();
