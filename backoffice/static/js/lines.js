// Forms with a table of lines (journal entries, expense claims): "Add a line" copies the last
// row, renumbers its fields (lines-3-amount -> lines-4-amount) and empties them.
window.backofficeAddLine = function (form) {
  "use strict";
  var rows = form.querySelectorAll("#lines tr.line");
  var last = rows[rows.length - 1];
  var copy = last.cloneNode(true);
  var index = rows.length;
  copy.querySelectorAll("input, select").forEach(function (field) {
    field.name = field.name.replace(/lines-\d+-/, "lines-" + index + "-");
    field.id = field.id.replace(/lines-\d+-/, "lines-" + index + "-");
    field.classList.remove("is-invalid");
    if (field.tagName === "SELECT") { field.selectedIndex = 0; } else { field.value = ""; }
  });
  copy.querySelectorAll(".invalid-feedback").forEach(function (node) { node.remove(); });
  last.parentNode.appendChild(copy);
  return copy;
};
