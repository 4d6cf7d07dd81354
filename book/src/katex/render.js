// Renders the book's math with the KaTeX files shipped beside this one, so
// that a reader needs no network: \( ... \) inline, $$ ... $$ on its own line.
document.addEventListener("DOMContentLoaded", function () {
  renderMathInElement(document.querySelector("main") || document.body, {
    delimiters: [
      { left: "$$", right: "$$", display: true },
      { left: "\\(", right: "\\)", display: false },
    ],
    ignoredTags: ["script", "noscript", "style", "textarea", "pre", "code"],
    throwOnError: false,
  });
});
