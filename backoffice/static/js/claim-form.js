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

  // A running total of the lines, in the claim's currency.
  var total = document.getElementById("claim-total");
  var currency = form.querySelector("select[name=currency]");
  function update() {
    var sum = 0;
    form.querySelectorAll("#lines input[name$=-amount]").forEach(function (input) {
      sum += window.backofficeMoney.parse(input.value, total.dataset.locale);
    });
    total.textContent = isNaN(sum) ? "?" :
      window.backofficeMoney.format(sum, currency ? currency.value : "EUR", total.dataset.locale);
  }
  form.addEventListener("input", update);
  form.addEventListener("change", update);
  update();

  // A payee paid before: their account is filled in (unless one was typed for them).
  var accounts = document.getElementById("payee-accounts");
  var payee = form.querySelector("#payee_name"), iban = form.querySelector("#iban"),
      bic = form.querySelector("#bic");
  if (accounts && payee && iban) {
    var known = JSON.parse(accounts.textContent);
    var filled = iban.value;
    payee.addEventListener("change", function () {
      var account = known[payee.value];
      if (!account || (iban.value && iban.value !== filled)) { return; }
      iban.value = account[0].replace(/(.{4})/g, "$1 ").trim();
      if (bic) { bic.value = account[1]; }
      filled = iban.value;
    });
  }
})();
