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
