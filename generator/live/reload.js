// Live reload for `archive serve` (never part of a built site): reloads the page after each
// rebuild, and shows content problems over the page until they are fixed.
(function () {
  "use strict";
  var shown = null;
  var style = document.createElement("link");
  style.rel = "stylesheet";
  style.href = "/__archive/overlay.css";
  document.head.appendChild(style);

  function line(parent, tag, className, text) {
    var element = document.createElement(tag);
    if (className) { element.className = className; }
    if (text !== undefined) { element.textContent = text; }
    parent.appendChild(element);
    return element;
  }

  function showProblems(problems) {
    hideProblems();
    shown = line(document.body, "section", "archive-problems");
    shown.setAttribute("role", "alert");
    shown.setAttribute("aria-labelledby", "archive-problems-title");
    var title = line(shown, "h2", "", problems.length === 1 ? "1 problem" : problems.length + " problems");
    title.id = "archive-problems-title";
    line(shown, "p", "", "The site was not rebuilt. This page comes back when " +
         (problems.length === 1 ? "the problem is fixed." : "the problems are fixed."));
    var list = line(shown, "ol");
    problems.forEach(function (problem) {
      var item = line(list, "li");
      line(item, "p", "archive-problem-where", problem.where);
      line(item, "p", "archive-problem-message", problem.message);
      if (problem.excerpt.length) {
        var pre = line(item, "pre");
        problem.excerpt.forEach(function (row) {
          line(pre, "span", row.here ? "archive-problem-line here" : "archive-problem-line",
               String(row.number).padStart(5) + " | " + row.text + "\n");
        });
      }
    });
  }

  function hideProblems() {
    if (shown) { shown.remove(); shown = null; }
  }

  var version = null;
  var events = new EventSource("/__archive/events");
  events.addEventListener("state", function (message) {
    var state = JSON.parse(message.data);
    if (state.problems.length) {
      showProblems(state.problems);
    } else if (version !== null && state.version !== version) {
      window.location.reload();
      return;
    } else {
      hideProblems();
    }
    version = state.version;
  });
})();
