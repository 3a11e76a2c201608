// The grant application form: a running total of the budget lines, and new lines without a
// reload. Without JavaScript the server adds lines ("Add a budget line") and checks the amounts.
(function () {
  "use strict";
  var body = document.getElementById("budget-lines");
  var total = document.getElementById("budget-total");
  if (!body || !total) { return; }

  var money = window.backofficeMoney;
  var locale = total.dataset.locale, currency = total.dataset.currency;

  function update() {
    var sum = 0;
    body.querySelectorAll("input.amount").forEach(function (input) {
      sum += money.parse(input.value, locale);
    });
    total.textContent = isNaN(sum) ? "?" : money.format(sum, currency, locale);
  }

  var add = document.getElementById("add_line");
  if (add) {
    add.addEventListener("click", function (event) {
      event.preventDefault();
      var rows = body.querySelectorAll("tr.budget-line");
      var row = rows[rows.length - 1].cloneNode(true);
      row.querySelectorAll("input").forEach(function (input) {
        input.name = input.name.replace(/budget-\d+-/, "budget-" + rows.length + "-");
        input.id = input.name;
        input.value = "";
        input.classList.remove("is-invalid");
      });
      row.querySelectorAll(".invalid-feedback").forEach(function (node) { node.remove(); });
      body.appendChild(row);
      row.querySelector("input").focus();
    });
  }
  body.addEventListener("input", update);
  update();
})();
