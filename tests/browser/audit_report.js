// Opens the audit's HTML report in headless Chromium (Debian's, through
// playwright-core), records every network request the page makes, drives the
// filters, takes a screenshot, and prints what it saw as one JSON line.
//
// Usage: node audit_report.js REPORT.html SCREENSHOT.png   (CHROMIUM=/usr/bin/chromium)
const path = require('path');
const { chromium } = require(path.join(__dirname, '..', '..', 'node_modules', 'playwright-core'));

(async () => {
  const [report, shot] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const url = 'file://' + path.resolve(report);
    const requests = [];
    page.on('request', (r) => { if (r.url() !== url) requests.push(r.url()); });
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(url, { waitUntil: 'load' });
    const visible = () => page.$$eval('section.key', (els) => els.filter((e) => !e.hidden).length);
    const out = { requests };
    out.groups = await visible();
    out.timelineRows = await page.$$eval('#timeline g[data-key]', (els) => els.length);
    out.todo = await page.$$eval('#todo li', (els) => els.length);
    await page.selectOption('#f-type', 'test');
    out.afterTypeTest = await visible();
    await page.selectOption('#f-type', 'all');
    await page.selectOption('#f-status', 'in HEAD');
    out.afterStatusHead = await visible();
    await page.selectOption('#f-status', 'all');
    await page.fill('#f-path', 'legacy');
    out.afterPathLegacy = await visible();
    await page.fill('#f-path', '');
    out.afterReset = await visible();
    out.shown = await page.textContent('#shown');
    await page.screenshot({ path: shot, fullPage: true });
    out.errors = errors;
    console.log(JSON.stringify(out));
    if (errors.length) process.exitCode = 1;
  } finally {
    await browser.close();
  }
})().catch((e) => { console.error(e); process.exit(1); });
