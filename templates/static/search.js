// Starts Pagefind's search UI. Kept in a file, not inline, so a strict Content-Security-Policy holds.
window.addEventListener("DOMContentLoaded", function () {
  var ui = new PagefindUI({
    element: "#search",
    showSubResults: true,
    showImages: false,
    resetStyles: false,
    openFilters: ["recipient", "supplier"],
  });
  // The search box in every page's header submits ?q=…; run that search here.
  var query = new URLSearchParams(window.location.search).get("q");
  if (query) {
    ui.triggerSearch(query);
  }
});
