// Lighthouse (from npm) at its mobile settings on the given pages, in one headless Chromium.
// Usage: node lighthouse_scores.mjs <chromium> <cookies as JSON: [{name, value}]> <url>...
// Prints one JSON object: {url: {scores: {category: 0..100}, failing: [audit titles]}} for the test to judge.
// The signed-in student's cookies go into the browser's own cookie jar (and Lighthouse is told not to clear it),
// so each page is loaded as that student, with the cookies the app sets on the way kept as a browser would.
import * as chromeLauncher from "chrome-launcher";
import lighthouse from "lighthouse";
import puppeteer from "puppeteer-core";

const [chromePath, cookiesJson, ...urls] = process.argv.slice(2);
const chrome = await chromeLauncher.launch({
  chromePath,
  chromeFlags: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"],
});
const results = {};
const browser = await puppeteer.connect({ browserURL: `http://127.0.0.1:${chrome.port}` });
try {
  const page = await browser.newPage();
  await page.setCookie(...JSON.parse(cookiesJson).map((c) => ({ name: c.name, value: c.value, url: urls[0] })));
  for (const url of urls) {
    const runner = await lighthouse(url, {
      port: chrome.port,
      output: "json",
      logLevel: "error",
      onlyCategories: ["accessibility", "best-practices"],
      formFactor: "mobile",
      // Lighthouse's default mobile screen; simulated throttling would only change performance, which we skip.
      throttlingMethod: "provided",
      disableStorageReset: true,
    }, undefined, page);
    const { categories, audits, finalDisplayedUrl } = runner.lhr;
    const failing = [];
    for (const category of Object.values(categories)) {
      for (const ref of category.auditRefs) {
        const audit = audits[ref.id];
        if (ref.weight > 0 && audit.score !== null && audit.score < 1) {
          const items = (audit.details && audit.details.items) || [];
          const where = items.slice(0, 3).map((item) => (item.node && item.node.selector) || item.description || item.url || item.source && item.source.url || "").filter(Boolean);
          failing.push(`${category.id}: ${audit.id}: ${audit.title}${where.length ? " [" + where.join("; ") + "]" : ""}`);
        }
      }
    }
    results[url] = {
      finalUrl: finalDisplayedUrl,
      scores: Object.fromEntries(Object.values(categories).map((c) => [c.id, Math.round(c.score * 100)])),
      failing,
    };
  }
} finally {
  await browser.disconnect();
  await chrome.kill();
}
process.stdout.write(JSON.stringify(results));
