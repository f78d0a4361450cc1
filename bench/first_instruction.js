// How far down the runbook page its first instruction starts, measured in Chromium as a reader
// meets it (issue 31): the top, in px from the top of the page (document coordinates, the
// header included), of the first step (the first `li` of the first `ol` in the runbook's text)
// and of the first command block (the first `pre` in it), at 390×844 and 1280×800, signed out
// and signed in through the real sign-in form. With --axe it also runs axe-core on each page,
// light and dark; with --shots DIR it saves a screenshot of each first screen there.
//
//   NODE_PATH=/path/to/node_modules node bench/first_instruction.js [--base URL] [--axe] [--shots DIR]
//
// Needs a running server with the demo (`make run`) and puppeteer-core + axe-core on NODE_PATH;
// OPENOPS_CHROMIUM names the browser (default /usr/bin/chromium), OPENOPS_DEMO_PASSWORD the
// demo's password (default that of `manage.py demo_logins`). Prints a Markdown table; exits 1
// when axe finds a violation.
"use strict";

const fs = require("fs");
const path = require("path");
const puppeteer = require("puppeteer-core");

const PHONE = { width: 390, height: 844, label: "390×844" };
const DESKTOP = { width: 1280, height: 800, label: "1280×800" };
const CEPH = "/r/CephOSDDown?provider=nordwolke&ceph_daemon=osd.7&hostname=stor07";
// The demo's KubePodCrashLooping alert, firing now at alpenstack (runbooks/demo/alerts.py, n=7).
const KUBE =
  "/r/KubePodCrashLooping?provider=alpenstack&namespace=tenant-7&pod=api-7f7c9&container=api";
// Nordwolke's provider-only runbook (runbooks/demo/content.py, "BGP session down").
const PRIVATE = "/r/BGPSessionDown?provider=nordwolke";

// The table, then the private runbook and the same links from the other side.
const CASES = [
  { path: "/r/CephOSDDown", who: null, screen: PHONE },
  { path: CEPH, who: "alice", screen: PHONE },
  { path: KUBE, who: "alice", screen: PHONE },
  { path: CEPH, who: "alice", screen: DESKTOP },
  { path: PRIVATE, who: "alice", screen: PHONE, afterSignIn: true },
  { path: PRIVATE, who: "alice", screen: DESKTOP, afterSignIn: true },
  { path: CEPH, who: null, screen: PHONE },
  { path: KUBE, who: null, screen: PHONE },
  { path: "/r/CephOSDDown", who: null, screen: DESKTOP },
  { path: KUBE, who: "alice", screen: DESKTOP },
  // Not opened from an alert: "on narrow screens generally".
  { path: "/runbooks/ceph-osd-down/", who: "alice", screen: PHONE },
  { path: "/runbooks/ceph-osd-down/", who: null, screen: PHONE },
  { path: "/runbooks/ceph-osd-down/", who: "alice", screen: DESKTOP },
];

function option(name, fallback) {
  const at = process.argv.indexOf(name);
  if (at === -1) return fallback;
  const value = process.argv[at + 1];
  return value === undefined || value.startsWith("--") ? true : value;
}

// The runbook's text is the page's `[data-fill-placeholders]` (comments are Markdown too).
function measure() {
  const text = document.querySelector("[data-fill-placeholders]");
  const top = (el) => (el ? Math.round(el.getBoundingClientRect().top + window.scrollY) : null);
  const ol = text && text.querySelector("ol");
  return {
    step: top(ol && ol.querySelector("li")),
    command: top(text && text.querySelector("pre")),
    signedIn: !document.querySelector('.usermenu a[href^="/accounts/login/"]'),
    text: Boolean(text),
  };
}

async function submitSignIn(page, username, password) {
  await page.type("#id_username", username);
  await page.type("#id_password", password);
  await Promise.all([page.waitForNavigation({ waitUntil: "networkidle0" }), page.click("form.form button[type=submit]")]);
  if (page.url().includes("/accounts/login/")) throw new Error(`could not sign in as ${username}`);
}

async function signIn(browser, base, username, password) {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.goto(base + "/accounts/login/", { waitUntil: "load" });
  await submitSignIn(page, username, password);
  await page.close();
  return context;
}

// A link followed signed out, then the sign-in it leads to (the page's own link to it when it
// is not the sign-in page itself): the reader lands where the sign-in sends them.
async function openAfterSignIn(browser, base, c, password) {
  const page = await (await browser.createBrowserContext()).newPage();
  await page.setViewport({ width: c.screen.width, height: c.screen.height });
  await page.goto(base + c.path, { waitUntil: "load" });
  if (!new URL(page.url()).pathname.startsWith("/accounts/login/")) {
    await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click('main a[href^="/accounts/login/"]')]);
  }
  await submitSignIn(page, c.who, password);
  return page;
}

async function axeViolations(page, axeSource) {
  if (!(await page.evaluate(() => typeof window.axe !== "undefined"))) {
    await page.evaluate(axeSource); // not a <script>: the page's CSP allows none inline
  }
  const result = await page.evaluate(() => window.axe.run(document));
  return result.violations.map((v) => `${v.id} (${v.nodes.length}): ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
}

function shotName(c, scheme) {
  const slug = c.path.replace(/^\/(r|runbooks)\//, "").replace(/\/$/, "").replace(/\?.*/, c.path.includes("?") ? "-labels" : "");
  return `${slug}-${c.who || "anon"}${c.afterSignIn ? "-via-signin" : ""}-${c.screen.width}-${scheme}.png`;
}

async function main() {
  const base = String(option("--base", "http://127.0.0.1:8000")).replace(/\/$/, "");
  const withAxe = option("--axe", false) === true;
  const shots = option("--shots", null);
  const password = process.env.OPENOPS_DEMO_PASSWORD || "openops-demo";
  const axeSource = withAxe ? fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8") : "";
  if (shots) fs.mkdirSync(shots, { recursive: true });
  const browser = await puppeteer.launch({
    executablePath: process.env.OPENOPS_CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu"],
  });
  let violations = 0;
  try {
    const contexts = { null: await browser.createBrowserContext() };
    for (const who of new Set(CASES.filter((c) => !c.afterSignIn).map((c) => c.who).filter(Boolean))) {
      contexts[who] = await signIn(browser, base, who, password);
    }
    console.log("| link | who | screen | first step | first command | on the first screen |" + (withAxe ? " axe light / dark |" : ""));
    console.log("|---|---|---|---|---|---|" + (withAxe ? "---|" : ""));
    for (const c of CASES) {
      let page, status = 200;
      if (c.afterSignIn) {
        page = await openAfterSignIn(browser, base, c, password);
      } else {
        page = await contexts[c.who].newPage();
        await page.setViewport({ width: c.screen.width, height: c.screen.height });
        status = (await page.goto(base + c.path, { waitUntil: "networkidle0" })).status();
      }
      const got = await page.evaluate(measure);
      if (status >= 400 || got.signedIn !== Boolean(c.who) || !got.text) {
        throw new Error(`${c.path} as ${c.who || "anonymous"}: ${status} at ${page.url()}`);
      }
      // The first instruction is whichever comes first; "all" when both start on the first screen.
      const tops = [got.step, got.command].filter((top) => top !== null);
      const fits = tops.every((top) => top <= c.screen.height) ? "all" : Math.min(...tops) <= c.screen.height ? "first" : "**no**";
      let axeCell = "";
      for (const scheme of ["light", "dark"]) {
        await page.emulateMediaFeatures([{ name: "prefers-color-scheme", value: scheme }]);
        if (shots) await page.screenshot({ path: path.join(shots, shotName(c, scheme)) });
        if (withAxe) {
          const found = await axeViolations(page, axeSource);
          violations += found.length;
          axeCell += (scheme === "dark" ? " / " : "") + (found.length ? found.join("; ") : "0");
        }
      }
      const px = (v) => (v === null ? "none" : `${v.toLocaleString("en")} px`);
      console.log(
        `| \`${c.path}\` | ${c.who ? c.who + (c.afterSignIn ? ", signing in on the way" : "") : "signed out"} | ${c.screen.label} | ${px(got.step)} | ${px(got.command)} | ${fits} |` +
          (withAxe ? ` ${axeCell} |` : "")
      );
      await page.close();
    }
  } finally {
    await browser.close();
  }
  if (violations) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  process.exit(2);
});
