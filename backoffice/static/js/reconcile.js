// The reconciliation queue by keyboard: move between lines, accept a suggestion, book, undo.
// Accepting swaps the line in place (htmx) and moves on to the next open line.
(function () {
  "use strict";
  var queue = document.getElementById("queue");
  if (!queue) { return; }

  function lines() { return Array.prototype.slice.call(queue.querySelectorAll(".bank-line")); }
  function current() {
    var active = document.activeElement;
    return active && active.closest ? active.closest(".bank-line") : null;
  }
  function focusLine(line) {
    if (!line) { return; }
    lines().forEach(function (l) { l.classList.remove("is-current"); });
    line.classList.add("is-current");
    line.focus({ preventScroll: true });
    line.scrollIntoView({ block: "nearest" });
  }
  function nextOpen(from) {
    var all = lines(), start = all.indexOf(from);
    for (var i = start + 1; i < all.length; i++) {
      if (!all[i].classList.contains("is-done")) { return all[i]; }
    }
    return null;
  }
  // The queue shows its first lines; "Show more lines" fetches the next (htmx). Moving down
  // from the last line fetches them too, and the first of them takes the focus.
  var fetching = false;
  function move(step) {
    var all = lines(), line = current();
    var index = line ? all.indexOf(line) + step : 0;
    var more = queue.querySelector(".more-lines a");
    if (step > 0 && index >= all.length && more) {
      fetching = true;
      more.click();
      return;
    }
    focusLine(all[Math.max(0, Math.min(all.length - 1, index))]);
  }
  function submit(form) {
    if (!form) { return; }
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  }

  var justActed = null;
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    justActed = event.detail.target && event.detail.target.dataset ? event.detail.target.dataset.lineId : null;
  });
  // An outerHTML swap replaces the line: its new element announces itself with htmx:load.
  document.body.addEventListener("htmx:load", function (event) {
    var swapped = event.detail.elt;
    if (fetching && swapped.classList && swapped.classList.contains("bank-line")) {
      fetching = false;
      focusLine(swapped);
      return;
    }
    if (!justActed || !swapped.classList || !swapped.classList.contains("bank-line")
        || swapped.dataset.lineId !== justActed) { return; }
    justActed = null;
    focusLine(swapped.classList.contains("is-done") ? (nextOpen(swapped) || swapped) : swapped);
  });

  // A line's booking form arrives when it opens ("b" or a click): its account comes first.
  document.body.addEventListener("htmx:afterSwap", function (event) {
    var slot = event.detail.target;
    if (!slot.classList || !slot.classList.contains("book-slot")) { return; }
    var select = slot.querySelector("select");
    if (select && slot.closest("details").open) { select.focus(); }
  });

  document.addEventListener("keydown", function (event) {
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "select" || tag === "textarea" || event.ctrlKey || event.metaKey || event.altKey) { return; }
    var line = current();
    var key = event.key;
    if (key === "j" || key === "ArrowDown") { event.preventDefault(); move(1); return; }
    if (key === "k" || key === "ArrowUp") { event.preventDefault(); move(-1); return; }
    if (!line) { return; }
    if (tag === "button" || tag === "a" || tag === "summary") {
      if (key === "Enter" || key === " ") { return; }  // let the focused control act
    }
    if (key === "Enter" || key === "1" || key === "2" || key === "3") {
      var rank = key === "Enter" ? "1" : key;
      var button = line.querySelector('.accept[data-rank="' + rank + '"]');
      if (button) { event.preventDefault(); submit(button.form); }
    } else if (key === "b") {
      var details = line.querySelector("details.book");
      if (details) {
        event.preventDefault();
        details.open = true;
        var select = details.querySelector("select");
        if (select) { select.focus(); }
      }
    } else if (key === "o") {
      var open = line.querySelector("a.open-line");
      if (open) { event.preventDefault(); window.location = open.href; }
    } else if (key === "u") {
      var undo = line.querySelector("button.undo");
      if (undo) { event.preventDefault(); submit(undo.form); }
    }
  });

  queue.addEventListener("focusin", function (event) {
    var line = event.target.closest(".bank-line");
    if (line) {
      lines().forEach(function (l) { l.classList.toggle("is-current", l === line); });
    }
  });
  focusLine(lines()[0]);
})();
