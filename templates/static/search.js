// Starts Pagefind's search UI. Kept in a file, not inline, so a strict Content-Security-Policy holds.
window.addEventListener("DOMContentLoaded", function () {
  var ui = new PagefindUI({
    element: "#search",
    showSubResults: true,
    showImages: false,
    resetStyles: false,
    openFilters: ["recipient", "supplier"],
  });
  // Give Pagefind's input, which only has a placeholder, a visible label.
  var input = document.querySelector("#search .pagefind-ui__search-input");
  if (input) {
    input.id = "search-query";
    var label = document.createElement("label");
    label.htmlFor = input.id;
    label.className = "search-label";
    label.textContent = "Search terms";
    var box = document.getElementById("search");
    box.parentNode.insertBefore(label, box);
  }
  // The search box in every page's header submits ?q=…; run that search here.
  var query = new URLSearchParams(window.location.search).get("q");
  if (query) {
    ui.triggerSearch(query);
  }
});
