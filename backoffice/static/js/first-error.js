// After a form came back refused, the keyboard and the screen reader start at the first field
// with an error (or at the form's error summary when no field is marked). Done after the page
// has loaded, so that a fragment in the address (#main from the skip link) does not win.
(function () {
  "use strict";
  function go() {
    var field = document.querySelector("main .is-invalid, main [aria-invalid=true]");
    var summary = document.querySelector("main [data-testid=form-errors]");
    var target = field || summary;
    if (!target) { return; }
    if (!field) { target.setAttribute("tabindex", "-1"); }
    target.focus();
  }
  if (document.readyState === "complete") { go(); }
  else { window.addEventListener("load", function () { window.setTimeout(go, 0); }); }
})();
