// The book in a real browser: serves the built book (book/book, with the
// Korean edition in book/book/ko) on 127.0.0.1, opens every page of each
// edition in headless Chromium at a 1200 px window, and fails on
//   - a broken link or anchor, an image that does not load, a console error,
//     a failed request or a request that leaves the machine;
//   - Markdown left in the rendered text (`![`, `](`, `**`, a stray backtick);
//   - a code block, table or formula wider than the page (it would scroll);
//   - math left unrendered;
//   - Korean text without `word-break: keep-all`;
//   - on a Korean page: `lang` other than "ko", a heading, solution or
//     paragraph left in English, or code that differs from the English page;
//   - a language switch missing or pointing at a page that does not exist;
//   - a search that finds nothing.
// Keeps a screenshot of one chapter of each edition in target/.
//
//   mdbook build book && MDBOOK_BOOK__LANGUAGE=ko mdbook build book -d book/ko
//   npm ci --prefix book/check && node book/check/check.mjs

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

// The editions: English at the root, Korean in ko/ (when it was built).
async function pagesIn(dir) {
  try {
    return (await readdir(join(root, dir)))
      .filter((f) => f.endsWith(".html") && !["print.html", "404.html", "toc.html"].includes(f))
      .sort();
  } catch {
    return [];
  }
}
const editions = [
  { name: "English", lang: "en", dir: "", pages: await pagesIn(""), search: "hidden state" },
  { name: "Korean", lang: "ko", dir: "ko/", pages: await pagesIn("ko"), search: "은닉" },
];
if (editions[1].pages.length === 0 && process.env.BOOK_CHECK_ENGLISH_ONLY !== "1") {
  console.error("no Korean edition in book/book/ko: build it first " +
    "(MDBOOK_BOOK__LANGUAGE=ko mdbook build book -d book/ko), " +
    "or set BOOK_CHECK_ENGLISH_ONLY=1");
  process.exit(1);
}

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
const codeOf = new Map(); // "en:ch01.html" -> the text of each code block
let mathPages = 0;
let pagesOpened = 0;

async function linkOk(url) {
  if (!checkedLinks.has(url)) {
    const response = await context.request.get(url);
    checkedLinks.set(url, response.status() < 400);
  }
  return checkedLinks.get(url);
}

// Everything the page shows a reader that could be wrong, read in the page.
function inspect(korean) {
  const main = document.querySelector("main");
  const hangul = /[\uac00-\ud7a3]/;
  const found = { markdown: [], wide: [], breakAll: [], english: [], rawMath: false };

  // Rendered prose: the text outside code, formulas and the menu.
  const prose = main.cloneNode(true);
  prose.querySelectorAll("pre, code, .katex, .katex-display, script, style").forEach((e) => e.remove());
  const text = prose.textContent;
  for (const mark of ["![", "](", "**", "```", "`"]) {
    const at = text.indexOf(mark);
    if (at >= 0) found.markdown.push(`${mark} in "…${text.slice(Math.max(0, at - 40), at + 40).replace(/\s+/g, " ")}…"`);
  }
  found.rawMath = /\$\$|\\\(|\\\)|\\\[|\\\]/.test(text);

  // Anything that scrolls sideways at this window size.
  const limit = main.clientWidth + 1;
  const widthOf = (e) => Math.max(e.scrollWidth, e.getBoundingClientRect().width);
  for (const e of main.querySelectorAll("pre, pre > code, table, .table-wrapper, .katex-display, img, svg")) {
    const own = e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0;
    if (own || widthOf(e) > limit) {
      const what = e.tagName.toLowerCase() + (e.className ? `.${String(e.className).split(" ")[0]}` : "");
      found.wide.push(`${what} ${Math.round(e.scrollWidth)} px > ${Math.round(Math.min(e.clientWidth || limit, limit))} px: "${e.textContent.trim().slice(0, 60).replace(/\s+/g, " ")}…"`);
    }
  }

  // Korean text must break between words only.
  const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!hangul.test(node.textContent)) continue;
    const style = getComputedStyle(node.parentElement);
    if (style.wordBreak !== "keep-all" && !node.parentElement.closest("pre")) {
      found.breakAll.push(node.textContent.trim().slice(0, 40));
    }
  }

  // On a Korean page, prose left in English: a heading of two or more
  // English words, or a solution's summary, paragraph or list item of four
  // or more, and no Hangul at all. (Table cells may be English terms, as in
  // the glossary.)
  if (korean) {
    for (const e of main.querySelectorAll("h1, h2, h3, h4, summary, p, li, figcaption")) {
      if (e.closest("pre")) continue;
      const copy = e.cloneNode(true);
      copy.querySelectorAll("code, .katex, pre").forEach((c) => c.remove());
      const words = copy.textContent.split(/\s+/).filter((w) => /^[A-Za-z]{2,}[.,:;!?’']?s?$/.test(w));
      const heading = /^H\d$|SUMMARY/.test(e.tagName);
      if (!hangul.test(copy.textContent) && words.length >= (heading ? 2 : 4)) {
        found.english.push(`<${e.tagName.toLowerCase()}> "${copy.textContent.trim().slice(0, 60).replace(/\s+/g, " ")}"`);
      }
    }
  }

  return {
    ...found,
    code: [...main.querySelectorAll("pre")].map((p) => p.textContent),
    rendered: main.querySelectorAll(".katex").length,
    lang: document.documentElement.lang,
    switchHref: document.querySelector(".language-switch")?.href ?? null,
  };
}

for (const edition of editions) {
  const korean = edition.lang === "ko";
  for (const name of edition.pages) {
    const page = await context.newPage();
    const errors = [];
    page.on("console", (m) => m.type() === "error" && errors.push(`console error: ${m.text()}`));
    page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
    page.on("requestfailed", (r) => r.url().startsWith(base) && errors.push(`request failed: ${r.url()}`));
    page.on("response", (r) => r.status() >= 400 && errors.push(`HTTP ${r.status()}: ${r.url()}`));
    await page.goto(`${base}/${edition.dir}${name}`, { waitUntil: "load" });
    await page.waitForTimeout(150);
    pagesOpened += 1;

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

    const seen = await page.evaluate(inspect, korean);
    for (const m of seen.markdown) errors.push(`Markdown left in the text: ${m}`);
    for (const w of seen.wide) errors.push(`wider than the page: ${w}`);
    for (const k of seen.breakAll.slice(0, 3)) errors.push(`Korean text without word-break: keep-all: "${k}"`);
    for (const e of seen.english.slice(0, 5)) errors.push(`left in English: ${e}`);
    if (seen.rawMath) errors.push("math left unrendered (\\( or $$ in the text)");
    if (seen.rendered > 0 && !korean) mathPages += 1;
    if (seen.lang !== edition.lang) errors.push(`<html lang="${seen.lang}">, expected "${edition.lang}"`);
    if (!seen.switchHref) errors.push("no language switch in the menu bar");
    else if (editions[1].pages.length > 0 && !(await linkOk(seen.switchHref.split("#")[0]))) {
      errors.push(`language switch points nowhere: ${seen.switchHref}`);
    }
    codeOf.set(`${edition.lang}:${name}`, seen.code);

    if (errors.length) problems.push(`${edition.dir}${name}:\n  ${errors.join("\n  ")}`);
    await page.close();
  }
}

// The two editions show the same code, block for block.
if (editions[1].pages.length > 0) {
  const en = editions[0].pages.join(" ");
  if (en !== editions[1].pages.join(" ")) problems.push("the Korean edition's pages are not the English edition's pages");
  for (const name of editions[0].pages) {
    const a = codeOf.get(`en:${name}`) ?? [];
    const b = codeOf.get(`ko:${name}`) ?? [];
    if (a.length !== b.length) {
      problems.push(`ko/${name}: ${b.length} code blocks, the English page has ${a.length}`);
      continue;
    }
    a.forEach((code, i) => {
      if (code !== b[i]) problems.push(`ko/${name}: code block ${i + 1} differs from the English page's:\n  "${code.slice(0, 80)}"\n  "${b[i].slice(0, 80)}"`);
    });
  }
}

// The search box finds what the book is about.
for (const edition of editions.filter((e) => e.pages.length > 0)) {
  const page = await context.newPage();
  await page.goto(`${base}/${edition.dir}index.html`, { waitUntil: "load" });
  await page.keyboard.press("s");
  const bar = "#mdbook-searchbar, #searchbar";
  await page.waitForSelector(bar, { state: "visible", timeout: 10000 });
  // The index loads when the search opens; type again until it answers.
  let hits = 0;
  for (let attempt = 0; attempt < 20 && hits === 0; attempt++) {
    await page.fill(bar, "");
    await page.type(bar, edition.search);
    // Hangul is typed as inserted text, without the key-up that starts a
    // search (a reader's input method sends one): send one.
    await page.keyboard.press("End");
    await page.waitForTimeout(500);
    hits = await page.$$eval("#mdbook-searchresults li, #searchresults li", (li) => li.length);
  }
  if (hits === 0) problems.push(`search (${edition.name}): no results for "${edition.search}"`);
  await page.close();
}

if (mathPages === 0) problems.push("no page has rendered math: is KaTeX loaded?");
if (offsite.length) problems.push(`requests left the book (it must read offline):\n  ${[...new Set(offsite)].join("\n  ")}`);

// A screenshot of each edition to look at.
await mkdir(target, { recursive: true });
for (const edition of editions.filter((e) => e.pages.length > 0)) {
  const page = await context.newPage();
  const chapter = edition.pages.find((p) => p.startsWith("ch08")) ?? edition.pages.find((p) => p.startsWith("ch"));
  await page.goto(`${base}/${edition.dir}${chapter}`, { waitUntil: "load" });
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(target, `book-screenshot-${edition.lang}.png`), fullPage: false });
  await page.close();
}

await browser.close();
server.close();

console.log(`${pagesOpened} pages opened, ${checkedLinks.size} links checked, math rendered on ${mathPages} English pages`);
if (problems.length) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log("book check passed; screenshots in target/book-screenshot-*.png");
