// The language switch: a link in the menu bar to the same page in the other
// edition. The English book is the site's root and the Korean edition lives
// in its `ko/` folder (see book/po/README.md), so the same page is one folder
// down or up.
(function () {
  const korean = document.documentElement.lang.startsWith("ko");
  const root = new URL(path_to_root, window.location.href);
  let page = window.location.href.slice(root.href.length).split("#")[0];
  if (page === "") page = "index.html";
  const target = new URL((korean ? "../" : "ko/") + page, root);

  const link = document.createElement("a");
  link.className = "language-switch";
  link.href = target.href;
  link.hreflang = korean ? "en" : "ko";
  link.lang = korean ? "en" : "ko";
  link.textContent = korean ? "English" : "한국어";
  link.title = korean ? "Read this page in English" : "이 페이지를 한국어로 읽기";

  const buttons = document.querySelector(".right-buttons");
  if (buttons) buttons.prepend(link);
})();

// Search in Korean. mdBook builds its search index in Rust with English
// rules that trim every character outside [A-Za-z0-9_] from a word, so the
// index has no Hangul word at all, and the browser side trims a Hangul query
// to nothing. On Korean pages: trim only what is neither a letter nor a digit
// in any script, and add each page's Hangul words to the index as it loads
// (the index keeps every page's text for its teasers).
if (window.elasticlunr && document.documentElement.lang.startsWith("ko")) {
  const lunr = window.elasticlunr;
  const trimmer = (token) =>
    token.replace(/^[^\p{L}\p{N}_]+/u, "").replace(/[^\p{L}\p{N}_]+$/u, "");
  const warn = lunr.utils.warn;
  lunr.utils.warn = () => {};
  lunr.trimmer = trimmer;
  lunr.Pipeline.registerFunction(trimmer, "trimmer");
  lunr.utils.warn = warn;

  const hangul = /\p{Script=Hangul}/u;
  const load = lunr.Index.load;
  lunr.Index.load = function (data) {
    const index = load.call(this, data);
    for (const [ref, doc] of Object.entries(index.documentStore.docs)) {
      for (const field of index.getFields()) {
        const counts = new Map();
        for (const token of index.pipeline.run(lunr.tokenizer(doc?.[field] ?? ""))) {
          if (hangul.test(token)) counts.set(token, (counts.get(token) ?? 0) + 1);
        }
        for (const [token, n] of counts) index.index[field].addToken(token, { ref, tf: Math.sqrt(n) });
      }
    }
    return index;
  };
}
