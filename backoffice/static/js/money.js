// Amounts as people type them, the way the server reads them (core/money.py Money.parse): the
// locale's convention first ("1.234,50" in German, "1,234.50" in English), then whatever can
// mean one thing only in either ("834,50", "834.50", "1.234,50"). Returns minor units (cents)
// or NaN; an empty field is 0. format() writes minor units with the currency for the locale.
window.backofficeMoney = (function () {
  "use strict";
  var COMMA = /^[-+]?(\d{1,3}(\.\d{3})+|\d+),\d{1,2}$/;
  var POINT = /^[-+]?(\d{1,3}(,\d{3})+|\d+)\.\d{1,2}$/;
  var PLAIN = /^[-+]?\d+$/;
  var GERMAN_GROUPS = /^[-+]?\d{1,3}(\.\d{3})+$/;
  var ENGLISH_GROUPS = /^[-+]?\d{1,3}(,\d{3})+$/;

  function toCents(number) { return Math.round(number * 100); }

  function parse(text, locale) {
    text = (text || "").replace(/[\s\u00a0]/g, "");
    if (!text) { return 0; }
    var german = /^de/i.test(locale || "");
    if (COMMA.test(text)) { return toCents(parseFloat(text.replace(/\./g, "").replace(",", "."))); }
    if (POINT.test(text) || PLAIN.test(text)) { return toCents(parseFloat(text.replace(/,/g, ""))); }
    if (german && GERMAN_GROUPS.test(text)) { return toCents(parseFloat(text.replace(/\./g, ""))); }
    if (!german && ENGLISH_GROUPS.test(text)) { return toCents(parseFloat(text.replace(/,/g, ""))); }
    return NaN;
  }

  function format(cents, currency, locale) {
    var tag = (locale || "en").replace("_", "-");
    try {
      return new Intl.NumberFormat(tag, { style: "currency", currency: currency || "EUR" })
        .format(cents / 100);
    } catch (error) {
      return (cents / 100).toFixed(2) + " " + (currency || "");
    }
  }

  return { parse: parse, format: format };
})();
