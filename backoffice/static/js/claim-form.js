// The expense claim form: "Add a line" without a reload (so chosen receipts stay chosen).
// Without JavaScript the button submits and the server adds the line.
(function () {
  "use strict";
  var form = document.getElementById("claim-form");
  var add = form && form.querySelector("#add_line");
  if (!add) { return; }
  add.addEventListener("click", function (event) {
    event.preventDefault();
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
    copy.querySelector("input").focus();
  });
})();
