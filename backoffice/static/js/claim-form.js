// The expense claim form: "Add a line" without a reload (so chosen receipts stay chosen).
// Without JavaScript the button submits and the server adds the line.
(function () {
  "use strict";
  var form = document.getElementById("claim-form");
  var add = form && form.querySelector("#add_line");
  if (!add) { return; }
  add.addEventListener("click", function (event) {
    event.preventDefault();
    window.backofficeAddLine(form).querySelector("input").focus();
  });
})();
