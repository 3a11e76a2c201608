// The journal's account filter: htmx fills #account-matches as one types (ledger.account_search);
// choosing a match sets the hidden account id; emptying the field filters on no account.
(function () {
  const field = document.getElementById("account_label");
  const matches = document.getElementById("account-matches");
  const hidden = document.getElementById("account");
  if (!field || !matches || !hidden) return;
  const close = () => { matches.replaceChildren(); field.setAttribute("aria-expanded", "false"); };
  document.body.addEventListener("htmx:afterSwap", (event) => {
    if (event.target === matches) field.setAttribute("aria-expanded", matches.children.length ? "true" : "false");
  });
  matches.addEventListener("click", (event) => {
    const choice = event.target.closest("[data-account-id]");
    if (!choice) return;
    hidden.value = choice.dataset.accountId;
    field.value = choice.dataset.accountLabel;
    close();
    field.form.requestSubmit();
  });
  field.addEventListener("input", () => { if (!field.value.trim()) { hidden.value = ""; close(); } });
  field.addEventListener("keydown", (event) => { if (event.key === "Escape") close(); });
})();
