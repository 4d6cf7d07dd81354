// The book in a real browser: serves the built book (book/book) on
// 127.0.0.1, opens every chapter in headless Chromium, and fails on a broken
// link, a missing image or figure, a console error, a failed request, math
// left unrendered, or a search that finds nothing. Keeps a screenshot of one
// chapter in target/book-screenshot.png.
//
//   mdbook build book && npm ci --prefix book/check && node book/check/check.mjs

import { createServer } from "node:http";
import { readFile, readdir, stat, mkdir } from "node:fs/promises";
import { join, extname, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..", "book");
const target = resolve(here, "..", "..", "target");
const chromiumPath = process.env.CHROMIUM ?? "/usr/bin/chromium";

const types = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css",
  ".svg": "image/svg+xml", ".png": "image/png", ".woff2": "font/woff2", ".woff": "font/woff",
  ".ttf": "font/ttf", ".json": "application/json", ".ico": "image/x-icon", ".txt": "text/plain",
};

// A static file server for the built book, on a free port of 127.0.0.1.
const server = createServer(async (req, res) => {
  const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
  let file = join(root, path);
  try {
    if ((await stat(file)).isDirectory()) file = join(file, "index.html");
    const body = await readFile(file);
    res.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" });
    res.end(body);
  } catch {
    res.writeHead(404);
    res.end("not found");
  }
});
await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
const base = `http://127.0.0.1:${server.address().port}`;

// Every chapter page mdBook wrote (print.html and the 404 page aside).
const pages = (await readdir(root))
  .filter((f) => f.endsWith(".html") && !["print.html", "404.html", "toc.html"].includes(f))
  .sort();

const browser = await chromium.launch({
  executablePath: chromiumPath,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
// Any request that leaves 127.0.0.1 would fail offline: refuse and report it.
const offsite = [];
await context.route("**/*", (route) => {
  const url = route.request().url();
  if (url.startsWith(base) || url.startsWith("data:")) return route.continue();
  offsite.push(url);
  return route.abort();
});

const problems = [];
const checkedLinks = new Map();
let mathPages = 0;

async function linkOk(url) {
  if (!checkedLinks.has(url)) {
    const response = await context.request.get(url);
    checkedLinks.set(url, response.status() < 400);
  }
  return checkedLinks.get(url);
}

for (const name of pages) {
  const page = await context.newPage();
  const errors = [];
  page.on("console", (m) => m.type() === "error" && errors.push(`console error: ${m.text()}`));
  page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => r.url().startsWith(base) && errors.push(`request failed: ${r.url()}`));
  page.on("response", (r) => r.status() >= 400 && errors.push(`HTTP ${r.status()}: ${r.url()}`));
  await page.goto(`${base}/${name}`, { waitUntil: "load" });
  await page.waitForTimeout(150);

  // Images and figures that did not load.
  const broken = await page.$$eval("main img", (imgs) =>
    imgs.filter((i) => !i.complete || i.naturalWidth === 0).map((i) => i.getAttribute("src")));
  for (const src of broken) errors.push(`image did not load: ${src}`);

  // Links inside the book: the page exists, and so does the anchor.
  const links = await page.$$eval("main a[href]", (as) => as.map((a) => a.href));
  for (const href of links) {
    if (!href.startsWith(base)) continue;
    const url = new URL(href);
    const file = `${url.origin}${url.pathname}`;
    if (!(await linkOk(file))) errors.push(`broken link: ${href}`);
    else if (url.hash && url.pathname === new URL(page.url()).pathname) {
      const id = decodeURIComponent(url.hash.slice(1));
      if (!(await page.$(`[id="${id}"]`))) errors.push(`broken anchor: ${href}`);
    }
  }

  // Math: rendered by KaTeX, none left as source text.
  const math = await page.evaluate(() => {
    const main = document.querySelector("main");
    const clone = main.cloneNode(true);
    clone.querySelectorAll("pre, code, .katex").forEach((e) => e.remove());
    const text = clone.textContent;
    return { rendered: main.querySelectorAll(".katex").length, raw: /\$\$|\\\(|\\\)/.test(text) };
  });
  if (math.raw) errors.push("math left unrendered (\\( or $$ in the text)");
  if (math.rendered > 0) mathPages += 1;

  if (errors.length) problems.push(`${name}:\n  ${errors.join("\n  ")}`);
  await page.close();
}

// The search box finds what the book is about.
{
  const page = await context.newPage();
  await page.goto(`${base}/index.html`, { waitUntil: "load" });
  await page.keyboard.press("s");
  const bar = "#mdbook-searchbar, #searchbar";
  await page.waitForSelector(bar, { state: "visible", timeout: 10000 });
  // The index loads when the search opens; type again until it answers.
  let hits = 0;
  for (let attempt = 0; attempt < 20 && hits === 0; attempt++) {
    await page.fill(bar, "");
    await page.type(bar, "hidden state");
    await page.waitForTimeout(500);
    hits = await page.$$eval("#mdbook-searchresults li, #searchresults li", (li) => li.length);
  }
  if (hits === 0) problems.push("search: no results for \"hidden state\"");
  await page.close();
}

if (mathPages === 0) problems.push("no page has rendered math: is KaTeX loaded?");
if (offsite.length) problems.push(`requests left the book (it must read offline):\n  ${[...new Set(offsite)].join("\n  ")}`);

// A screenshot to look at.
{
  await mkdir(target, { recursive: true });
  const page = await context.newPage();
  const chapter = pages.find((p) => p.startsWith("ch08")) ?? pages.find((p) => p.startsWith("ch"));
  await page.goto(`${base}/${chapter}`, { waitUntil: "load" });
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(target, "book-screenshot.png"), fullPage: false });
  await page.close();
}

await browser.close();
server.close();

console.log(`${pages.length} pages opened, ${checkedLinks.size} links checked, math rendered on ${mathPages} pages`);
if (problems.length) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log("book check passed; screenshot in target/book-screenshot.png");
