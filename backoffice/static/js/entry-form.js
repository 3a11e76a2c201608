// The manual journal entry form: running totals while typing, and "Add a line" without a reload.
// Without JavaScript the form still works: the server checks the balance and adds lines.
(function () {
  "use strict";
  var form = document.getElementById("entry-form");
  if (!form) { return; }
  var decimal = form.dataset.decimal || ".";
  var group = form.dataset.group || ",";

  function parse(text) {
    text = (text || "").trim().split(group).join("").replace(/\s/g, "");
    if (decimal !== ".") { text = text.split(decimal).join("."); }
    if (text === "" || !/^-?\d*(\.\d*)?$/.test(text)) { return text === "" ? 0 : NaN; }
    return Math.round(parseFloat(text) * 100);
  }

  function show(cents) {
    if (isNaN(cents)) { return "?"; }
    var sign = cents < 0 ? "-" : "";
    cents = Math.abs(cents);
    var whole = Math.floor(cents / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, group);
    return sign + whole + decimal + String(cents % 100).padStart(2, "0");
  }

  function sum(selector) {
    var total = 0;
    form.querySelectorAll(selector).forEach(function (input) { total += parse(input.value); });
    return total;
  }

  function update() {
    var debit = sum("input.debit"), credit = sum("input.credit");
    var difference = debit - credit;
    document.getElementById("total-debit").textContent = show(debit);
    document.getElementById("total-credit").textContent = show(credit);
    document.getElementById("total-difference").textContent = show(difference);
    var state = document.getElementById("balance-state");
    if (isNaN(difference)) {
      state.textContent = "An amount is not a number"; state.className = "state off";
    } else if (difference === 0 && debit > 0) {
      state.textContent = "Balanced"; state.className = "state ok";
    } else if (difference !== 0) {
      state.textContent = "Not balanced"; state.className = "state off";
    } else {
      state.textContent = ""; state.className = "state";
    }
  }

  function addLine(event) {
    event.preventDefault();
    window.backofficeAddLine(form).querySelector("select").focus();
  }

  form.addEventListener("input", update);
  var add = form.querySelector("#add_line");
  if (add) { add.addEventListener("click", addLine); }
  update();
})();
