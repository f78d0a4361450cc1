/* OpenOps offline copy: search, alert look-up and the alert's labels in a runbook's commands,
   from file://, with no server.
   The data come as script files (data/search-index.js, data/routes.js) that set globals; every
   text from them reaches the page through textContent, never as HTML. */
(function () {
  "use strict";

  /* --- Search: every word must occur; title matches first ------------------------------- */

  function words(text) {
    return text.toLowerCase().split(/[^\p{L}\p{N}_.%-]+/u).filter(Boolean);
  }

  function score(entry, terms) {
    var title = entry.title.toLowerCase();
    var named = entry.alerts.concat(entry.tags, [entry.component, entry.provider]).join(" ").toLowerCase();
    var text = entry.text.toLowerCase();
    var total = 0;
    for (var i = 0; i < terms.length; i++) {
      var term = terms[i];
      if (title.indexOf(term) !== -1) total += 100;
      else if (named.indexOf(term) !== -1) total += 20;
      else if (text.indexOf(term) !== -1) total += 1;
      else return 0;
    }
    var whole = terms.join(" ");
    if (title === whole) total += 1000;
    else if (title.indexOf(whole) === 0) total += 200;
    return total;
  }

  function search(index, query, limit) {
    var terms = words(query);
    if (!terms.length) return [];
    var found = [];
    for (var i = 0; i < index.length; i++) {
      var value = score(index[i], terms);
      if (value) found.push({ entry: index[i], score: value });
    }
    found.sort(function (a, b) {
      return b.score - a.score || a.entry.title.localeCompare(b.entry.title);
    });
    return found.slice(0, limit || 50).map(function (hit) { return hit.entry; });
  }

  function snippet(text, terms) {
    var lower = text.toLowerCase();
    for (var i = 0; i < terms.length; i++) {
      var at = lower.indexOf(terms[i]);
      if (at !== -1) {
        var start = Math.max(0, at - 60);
        return (start ? "…" : "") + text.slice(start, at + 120) + (at + 120 < text.length ? "…" : "");
      }
    }
    return text.slice(0, 160) + (text.length > 160 ? "…" : "");
  }

  /* --- Alert look-up: the precedence of /r/ (DESIGN §4) --------------------------------- */

  var compiled = {};

  function regex(pattern) {
    if (!(pattern in compiled)) {
      var flags = "u", body = pattern;
      if (body.indexOf("(?i)") === 0) { body = body.slice(4); flags += "i"; }
      try { compiled[pattern] = new RegExp("^(?:" + body + ")$", flags); }
      catch (e) { compiled[pattern] = null; }
    }
    return compiled[pattern];
  }

  function matcherMatches(m, labels) {
    var value = Object.prototype.hasOwnProperty.call(labels, m.label) ? labels[m.label] : "";
    if (m.op === "=") return value === m.value;
    if (m.op === "!=") return value !== m.value;
    var re = regex(m.value);
    if (re === null) return null; /* a regex this browser cannot read */
    var found = re.test(value);
    return m.op === "=~" ? found : !found;
  }

  function precedence(a, b) {
    /* higher wins: scoped, more matchers, higher priority, older (smaller id) */
    return ((a.provider !== null) - (b.provider !== null)) ||
      (a.matchers.length - b.matchers.length) || (a.priority - b.priority) || (b.id - a.id);
  }

  function lookUp(table, alertname, labels, provider, component) {
    var key = alertname.trim().toLowerCase();
    var all = Object.assign({}, labels, { alertname: alertname.trim() });
    var candidates = table.routes.filter(function (r) {
      return r.alertname.toLowerCase() === key && (r.provider === null || r.provider === provider);
    });
    if (component) {
      var wanted = component.toLowerCase();
      var narrowed = candidates.filter(function (r) { return r.component.toLowerCase() === wanted; });
      if (narrowed.length) candidates = narrowed;
    }
    var best = null, unreadable = false;
    candidates.forEach(function (route) {
      var ok = true;
      for (var i = 0; i < route.matchers.length && ok; i++) {
        var result = matcherMatches(route.matchers[i], all);
        if (result === null) { unreadable = true; ok = false; }
        else ok = result;
      }
      if (ok && (best === null || precedence(route, best) > 0)) best = route;
    });
    return { route: best, unreadable: unreadable };
  }

  function parseLabels(text) {
    var labels = {};
    var body = text.trim().replace(/^\{/, "").replace(/\}$/, "");
    var pattern = /\s*([A-Za-z_][A-Za-z0-9_]*)\s*[:=]\s*(?:"((?:[^"\\]|\\.)*)"|([^,\n"]*))\s*(?:,|\n|$)/g;
    var match;
    while ((match = pattern.exec(body)) !== null && match[0] !== "") {
      var value = match[2] !== undefined ? match[2].replace(/\\(.)/g, "$1") : match[3].trim();
      labels[match[1]] = value;
    }
    return labels;
  }

  /* --- The alert that opened a runbook: its labels in the link, as /r/ writes them --------- */

  var ALERT = "alert", LABEL_PREFIX = "label.", MAX_LABELS = 64, MAX_VALUE = 1024;

  /* The runbook page's address with the alert's name and labels (links.opened_from_alert);
     the name is the alert's own, never a label's, as /r/ has it. */
  function openedFromAlert(file, name, labels) {
    var params = new URLSearchParams();
    params.append(ALERT, name);
    Object.keys(labels).sort().forEach(function (k) {
      if (k !== "alertname") params.append(LABEL_PREFIX + k, labels[k]);
    });
    return file + "?" + params.toString();
  }

  /* The alert in a runbook page's query string, bounded as the site bounds it (alert_context). */
  function alertContext(search) {
    var name = "", labels = {}, count = 0;
    new URLSearchParams(search).forEach(function (value, key) {
      if (key === ALERT) name = value.trim();
      else if (key.indexOf(LABEL_PREFIX) === 0 && value.length <= MAX_VALUE && count < MAX_LABELS) {
        labels[key.slice(LABEL_PREFIX.length)] = value;
        count += 1;
      }
    });
    return name ? { name: name.slice(0, 200), labels: labels } : null;
  }

  /* Placeholders in code: the rules are runbooks/placeholders.py's. When the copy was made,
     each placeholder became a `span.ph` naming in data-labels the labels that may fill it, in
     order (its own name, then the runbook's mapping); here a label is only looked up by name
     and its value checked. */

  /* One plain shell word, as runbooks/placeholders.py (is_fillable, the source of truth) says:
     its character class [\w.:/@+=,%-] (\w: Unicode letters, digits and _), not starting with
     "-", at most MAX_VALUE (256) characters. tests/test_offline.py checks that both agree. */
  var PLAIN_WORD = /^(?!-)[\p{L}\p{N}_.:\/@+=,%-]{1,256}$/u;

  function isPlainWord(value) {
    return PLAIN_WORD.test(value);
  }

  /* The alert's label called `name`: that very name, else the first in sort order with that
     name, case aside (label names are ASCII, where casefold and toLowerCase agree). */
  function labelNamed(labels, name) {
    if (Object.prototype.hasOwnProperty.call(labels, name)) return name;
    var wanted = name.toLowerCase();
    var same = Object.keys(labels).sort().filter(function (k) { return k.toLowerCase() === wanted; });
    return same.length ? same[0] : null;
  }

  /* What fills a placeholder whose labels are `names`: the first of them the alert has, its
     value, and whether that value may go into a command. */
  function filling(labels, names) {
    for (var i = 0; i < names.length; i++) {
      var label = labelNamed(labels, names[i]);
      if (label !== null) {
        var value = String(labels[label]);
        return { label: label, value: value, fillable: isPlainWord(value) };
      }
    }
    return { label: null, value: null, fillable: false };
  }

  /* --- Pages ---------------------------------------------------------------------------- */

  function element(tag, text, attributes) {
    var node = document.createElement(tag);
    if (text) node.textContent = text;
    Object.keys(attributes || {}).forEach(function (k) { node.setAttribute(k, attributes[k]); });
    return node;
  }

  function query() {
    var found = {};
    new URLSearchParams(window.location.search).forEach(function (v, k) { found[k] = v; });
    return found;
  }

  function searchPage(form) {
    var index = window.OPENOPS_OFFLINE_INDEX || [];
    var input = form.querySelector("input[type=search]");
    var list = document.querySelector("[data-search-results]");
    var status = document.querySelector("[data-search-status]");
    function show(text) {
      var hits = search(index, text, 50);
      var terms = words(text);
      list.textContent = "";
      list.hidden = !hits.length;
      status.textContent = text.trim() ? hits.length + (hits.length === 1 ? " document" : " documents") + " found for “" + text.trim() + "”" + (hits.length === 50 ? " (the first 50)" : "") + "." : "";
      hits.forEach(function (entry) {
        var item = element("li", "", { "class": "docrow" });
        item.appendChild(element("a", entry.title, { href: entry.file, "class": "doctitle" }));
        var about = [entry.kind, entry.provider, entry.component].filter(Boolean).join(" · ");
        if (entry.alerts.length) about += " · alerts: " + entry.alerts.join(", ");
        item.appendChild(element("span", about, { "class": "muted" }));
        item.appendChild(element("span", snippet(entry.text, terms), { "class": "muted snippet" }));
        list.appendChild(item);
      });
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      show(input.value);
      history.replaceState(null, "", "?q=" + encodeURIComponent(input.value));
    });
    input.addEventListener("input", function () { show(input.value); });
    var asked = query().q || "";
    if (asked) { input.value = asked; show(asked); }
  }

  function lookupPage(form) {
    var table = window.OPENOPS_OFFLINE_ROUTES || { routes: [], scopes: [], default: null };
    var out = document.querySelector("[data-lookup-result]");
    var fields = ["alertname", "labels", "provider", "component"];
    var asked = query();
    if (!("provider" in asked) && table.default) asked.provider = table.default;
    fields.forEach(function (name) { if (name in asked) form.elements[name].value = asked[name]; });
    function show() {
      var name = form.elements.alertname.value.trim();
      out.textContent = "";
      if (!name) return;
      var extra = {};
      Object.keys(asked).forEach(function (k) { if (fields.indexOf(k) === -1) extra[k] = asked[k]; });
      var labels = Object.assign(extra, parseLabels(form.elements.labels.value));
      var found = lookUp(table, name, labels, form.elements.provider.value || null, form.elements.component.value.trim());
      var box = element("div", "", { "class": "card notice" });
      if (found.route && found.route.file) {
        box.appendChild(element("p", "“" + name + "” opens:"));
        var href = openedFromAlert(found.route.file, name, labels);
        var link = element("a", found.route.title, { href: href, "class": "button primary" });
        box.appendChild(link);
      } else if (found.route) {
        box.appendChild(element("p", "“" + name + "” opens a runbook this copy leaves out (a draft or an archived runbook). Open it online when you can."));
      } else {
        box.appendChild(element("p", "No runbook in this copy for “" + name + "”" + (Object.keys(labels).length ? " with these labels" : "") + ". Search the copy for its words instead."));
        var search = element("a", "Search for " + name, { href: "index.html?q=" + encodeURIComponent(name.replace(/([a-z])([A-Z])/g, "$1 $2")) });
        box.appendChild(search);
      }
      if (found.unreadable) box.appendChild(element("p", "A route's regular expression could not be read here; online, it may choose differently.", { "class": "muted" }));
      out.appendChild(box);
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      asked = {};
      show();
    });
    show();
  }

  /* A runbook page opened from the look-up: the alert's banner, its commands filled and a note
     naming what stays unfilled (only text nodes are made: the labels come from a link anyone
     can write). */
  function alertPage(banner) {
    var alert = alertContext(window.location.search);
    if (!alert) return;
    banner.querySelector("[data-alert-name]").textContent = alert.name;
    var list = banner.querySelector("[data-alert-labels]");
    Object.keys(alert.labels).forEach(function (k) {
      var item = element("li");
      item.appendChild(element("code", k + "=\"" + alert.labels[k] + "\"", { "class": "label" }));
      list.appendChild(item);
    });
    list.hidden = !list.children.length;
    banner.hidden = false;
    var body = document.querySelector("[data-fill-placeholders]");
    var labels = Object.assign({ alertname: alert.name }, alert.labels);
    var found = body ? fillPlaceholders(body, labels) : { filled: 0, unfilled: [] };
    var note = banner.querySelector("[data-placeholder-note]");
    if (found.filled && note) {
      note.textContent = "Commands below use this alert's labels.";
      note.hidden = false;
    }
    var unfilled = document.querySelector("[data-unfilled-note]");
    if (unfilled && found.unfilled.length) unfilledNote(unfilled, found.unfilled, alert.labels);
  }

  /* Each marked placeholder with its label's value, or marked as missing; the unfilled ones,
     each named once (with the label whose value was refused), as the site's note names them. */
  function fillPlaceholders(body, labels) {
    var filled = 0, unfilled = [], seen = {};
    body.querySelectorAll("span.ph[data-labels]").forEach(function (span) {
      var written = span.getAttribute("data-placeholder");
      var found = filling(labels, span.getAttribute("data-labels").split(" "));
      if (found.fillable) {
        filled += 1;
        span.textContent = found.value;
        span.className = "ph-value";
        span.title = written + ": the alert's label " + found.label;
        var code = span.closest("code"), pre = code && code.parentElement;
        if (code) (pre && pre.tagName === "PRE" ? pre : code).classList.add("filled");
        return;
      }
      if (found.label === null && span.hasAttribute("data-shell-variable")) return;
      span.replaceWith(element("mark", written, {
        "class": "ph-missing",
        title: found.label === null ? "no label" : "the value of label " + found.label + " is not one plain word"
      }));
      var refused = found.label === null ? "" : found.label;
      if (!seen[written + "\n" + refused]) {
        seen[written + "\n" + refused] = true;
        unfilled.push({ text: written, refusedLabel: refused });
      }
    });
    return { filled: filled, unfilled: unfilled };
  }

  /* The note above the banner, in the site's words (templates/documents/runbook/_unfilled.html). */
  function unfilledNote(box, unfilled, labels) {
    var most = Number(box.getAttribute("data-max-named")) || unfilled.length;
    var p = element("p");
    p.appendChild(element("strong", "Not filled from this alert:"));
    p.appendChild(document.createTextNode(" "));
    unfilled.slice(0, most).forEach(function (item, i) {
      if (i) p.appendChild(document.createTextNode(", "));
      p.appendChild(element("code", item.text));
      if (item.refusedLabel) {
        p.appendChild(document.createTextNode(" (the value of "));
        p.appendChild(element("code", item.refusedLabel));
        p.appendChild(document.createTextNode(" is not one plain word)"));
      }
    });
    if (unfilled.length > most) p.appendChild(document.createTextNode(" and " + (unfilled.length - most) + " more"));
    p.appendChild(document.createTextNode(". Put " + (Math.min(unfilled.length, most) === 1 ? "it" : "them") + " in by hand" +
      (Object.keys(labels).length ? " from the labels above." : ": the alert carried no labels.")));
    box.appendChild(p);
    box.hidden = false;
  }

  if (typeof module !== "undefined" && module.exports) {
    module.exports = {
      search: search, lookUp: lookUp, parseLabels: parseLabels,
      openedFromAlert: openedFromAlert, alertContext: alertContext,
      isPlainWord: isPlainWord, filling: filling
    };
    return;
  }
  document.addEventListener("DOMContentLoaded", function () {
    var searchForm = document.querySelector("[data-offline-search]");
    if (searchForm) searchPage(searchForm);
    var lookupForm = document.querySelector("[data-alert-lookup]");
    if (lookupForm) lookupPage(lookupForm);
    var banner = document.querySelector("[data-offline-alert]");
    if (banner) alertPage(banner);
  });
})();
