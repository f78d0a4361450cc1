// OpenOps page behaviour. Loaded on every page (deferred); each part looks for its own
// elements, so a page without them costs nothing. No inline scripts anywhere (CSP-ready).
"use strict";

(function () {
  // Elements that only make sense with JavaScript are hidden by CSS until this class is set.
  document.documentElement.classList.add("js");

  // A copy button on every code block of rendered Markdown.
  function addCopyButtons(root) {
    root.querySelectorAll("pre > code").forEach(function (code) {
      var pre = code.parentElement;
      if (pre.querySelector(".copy")) return;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "copy small";
      button.textContent = "Copy";
      button.setAttribute("aria-label", "Copy this code to the clipboard");
      button.addEventListener("click", function () {
        copyText(code.textContent).then(
          function () { flash(button, "Copied"); },
          function () { flash(button, "Select and copy"); }
        );
      });
      pre.classList.add("has-copy");
      pre.appendChild(button);
    });
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
    var original = "Copy";
    button.textContent = text;
    window.setTimeout(function () { button.textContent = original; }, 1500);
  }

  document.querySelectorAll("[data-copy-code]").forEach(addCopyButtons);

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();

// Placeholders in code blocks filled from the labels of the alert that opened the runbook:
// `{{ $labels.instance }}` and `$NAMESPACE` / `${NAMESPACE}` (label `namespace`). Only text is
// changed (textContent), and the original stays one click away.
(function () {
  var data = document.getElementById("alert-labels");
  var body = document.querySelector("[data-fill-placeholders]");
  if (!data || !body) return;
  var labels;
  try { labels = JSON.parse(data.textContent) || {}; } catch (e) { return; }
  var lower = {};
  Object.keys(labels).forEach(function (k) { lower[k.toLowerCase()] = labels[k]; });

  function fill(text) {
    return text
      .replace(/\{\{\s*\$labels\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, function (all, name) {
        return Object.prototype.hasOwnProperty.call(labels, name) ? labels[name] : all;
      })
      .replace(/\$\{?([A-Z][A-Z0-9_]*)\}?/g, function (all, name) {
        var key = name.toLowerCase();
        return Object.prototype.hasOwnProperty.call(lower, key) ? lower[key] : all;
      });
  }

  var blocks = [];
  body.querySelectorAll("pre > code").forEach(function (code) {
    var original = code.textContent;
    var filled = fill(original);
    if (filled !== original) {
      blocks.push({ code: code, original: original, filled: filled });
      code.textContent = filled;
      code.parentElement.classList.add("filled");
    }
  });
  if (!blocks.length) return;
  var note = document.querySelector("[data-placeholder-note]");
  var button = document.querySelector("[data-toggle-placeholders]");
  if (!note || !button) return;
  note.hidden = false;
  var showingFilled = true;
  button.addEventListener("click", function () {
    showingFilled = !showingFilled;
    blocks.forEach(function (b) {
      b.code.textContent = showingFilled ? b.filled : b.original;
      b.code.parentElement.classList.toggle("filled", showingFilled);
    });
    button.textContent = showingFilled ? "Show original commands" : "Show with alert values";
  });
})();
