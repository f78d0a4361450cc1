// The signed-in home page in Chromium (issue 31): screenshots at 390×844 and 1280×800, light
// and dark, where the first firing alert's runbook link sits on the phone, and axe-core.
// Not part of `make test` (tests must not need Chromium). Against a running server:
//   NODE_PATH=/work/tools/node_modules node bench/home_page.js http://127.0.0.1:8864 /tmp/home-shots alice dave
// Personas sign in with the demo password; "anonymous" is the signed-out page.
const fs = require("fs");
const puppeteer = require("puppeteer-core");
const axe = require("axe-core");

const [base = "http://127.0.0.1:8000", out = "/tmp/home-shots", ...who] = process.argv.slice(2);
const personas = who.length ? who : ["anonymous", "alice"];
const PASSWORD = process.env.DEMO_PASSWORD || "openops-demo";
const VIEWS = { phone: { width: 390, height: 844, isMobile: true, hasTouch: true }, desktop: { width: 1280, height: 800 } };

async function signIn(page, username) {
  await page.goto(`${base}/accounts/login/`, { waitUntil: "networkidle0" });
  await page.type("#id_username", username);
  await page.type("#id_password", PASSWORD);
  await Promise.all([page.waitForNavigation({ waitUntil: "networkidle0" }), page.click("form.form button[type=submit]")]);
}

async function firstScreen(page) {
  // Top (px from the page's top) of what the shift needs first: the first firing alert and
  // its runbook (or "write it") link; and of each section's heading.
  return page.evaluate(() => {
    const top = (sel) => { const el = document.querySelector(sel); return el ? Math.round(el.getBoundingClientRect().top + window.scrollY) : null; };
    return {
      firstAlert: top("#firing .shift-list li"),
      firstRunbookLink: top("#firing .shift-list li .shift-runbook, #firing .shift-list li .shift-none"),
      actionItems: top("#action-items h2"), reviews: top("#reviews h2"), watched: top("#watched h2"),
      pageHeight: document.documentElement.scrollHeight,
    };
  });
}

(async () => {
  fs.mkdirSync(out, { recursive: true });
  const browser = await puppeteer.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu"] });
  const results = {};
  for (const persona of personas) {
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    await page.setBypassCSP(true); // axe is injected as an inline script
    if (persona !== "anonymous") await signIn(page, persona);
    results[persona] = {};
    for (const [view, viewport] of Object.entries(VIEWS)) {
      for (const scheme of ["light", "dark"]) {
        await page.setViewport(viewport);
        await page.emulateMediaFeatures([{ name: "prefers-color-scheme", value: scheme }]);
        await page.goto(`${base}/`, { waitUntil: "networkidle0" });
        await page.screenshot({ path: `${out}/${persona}-${view}-${scheme}.png` });
        await page.addScriptTag({ content: axe.source });
        const found = await page.evaluate(async () => (await window.axe.run(document)).violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(" ")) })));
        results[persona][`${view}-${scheme}`] = { violations: found, ...(view === "phone" ? await firstScreen(page) : {}) };
      }
    }
    await context.close();
  }
  await browser.close();
  console.log(JSON.stringify(results, null, 1));
  const total = Object.values(results).flatMap((r) => Object.values(r)).reduce((n, r) => n + r.violations.length, 0);
  process.exitCode = total ? 1 : 0;
})();
