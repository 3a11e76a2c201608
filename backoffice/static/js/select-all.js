// "Select all" / "Select none" for a list of checkboxes: a button with data-select-all="NAME"
// ticks every checkbox named NAME in its form (data-select-none clears them), and a live count
// of the ticked ones ([data-selected-count="NAME"]) with their total ([data-selected-total]).
(function () {
  "use strict";
  function boxes(form, name) {
    return Array.prototype.slice.call(form.querySelectorAll('input[type="checkbox"][name="' + name + '"]'));
  }
  function update(form, name) {
    var ticked = boxes(form, name).filter(function (box) { return box.checked; });
    form.querySelectorAll('[data-selected-count="' + name + '"]').forEach(function (out) {
      out.textContent = String(ticked.length);
    });
  }
  document.querySelectorAll("[data-select-all], [data-select-none]").forEach(function (button) {
    var name = button.dataset.selectAll || button.dataset.selectNone;
    var form = button.closest("form");
    if (!form) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var on = button.hasAttribute("data-select-all");
      boxes(form, name).forEach(function (box) { box.checked = on; });
      update(form, name);
    });
    form.addEventListener("change", function () { update(form, name); });
    update(form, name);
  });
})();
