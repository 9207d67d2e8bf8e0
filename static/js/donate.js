// Enhancements of the donation form. Everything works without
// this file: the form posts as is, and the server computes and checks every amount.
(function () {
  "use strict";

  var MONEY = /^\$?\s*(\d{1,3}(,\d{3})+|\d+)(\.\d{1,2})?$/;

  // The same rule as campaigns.formatting.parse_money: cents, or null.
  function parseMoney(text) {
    var match = MONEY.exec((text || "").trim());
    if (!match) {
      return null;
    }
    var whole = parseInt(match[1].replace(/,/g, ""), 10);
    var fraction = (match[3] || ".").slice(1);
    while (fraction.length < 2) {
      fraction += "0";
    }
    return whole * 100 + parseInt(fraction, 10);
  }

  function formatCents(cents) {
    var lang = document.documentElement.lang || "en";
    return new Intl.NumberFormat(lang, { style: "currency", currency: "USD" }).format(cents / 100);
  }

  // A random id for this visit of the form: the server takes it as the pledge's id, so
  // a double click or a resubmission opens one checkout. The page itself is the same
  // for every visitor (it is cached), so the id is made here, not in the HTML.
  function newToken() {
    if (window.crypto && crypto.randomUUID) {
      return crypto.randomUUID();
    }
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) {
      return (b + 0x100).toString(16).slice(1);
    }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  function enhanceForm(form) {
    var token = form.querySelector("[data-pledge-token]");
    if (token && !token.value) {
      token.value = newToken();
    }
    var num = parseInt(form.dataset.feeNum, 10);
    var den = parseInt(form.dataset.feeDen, 10);
    var fixed = parseInt(form.dataset.feeFixed, 10);
    var min = parseInt(form.dataset.min, 10);
    var max = parseInt(form.dataset.max, 10);
    var radios = form.querySelectorAll('input[name="amount"]');
    var otherRadio = form.querySelector("#id_amount_other");
    var otherField = form.querySelector("#other-amount-field");
    var otherInput = form.querySelector("#id_other_amount");
    var feeAmount = form.querySelector("#fee-amount");
    var feeKnown = form.querySelector(".fee-known");
    var feeUnknown = form.querySelector(".fee-unknown");
    var submit = form.querySelector("#donate-submit");

    // donations.fees: charge = ceil((gift + fixed) * num / den), in whole cents.
    function feeFor(gift) {
      var top = (gift + fixed) * num;
      return Math.floor((top + den - 1) / den) - gift;
    }

    function selected() {
      for (var i = 0; i < radios.length; i++) {
        if (radios[i].checked) {
          return radios[i];
        }
      }
      return null;
    }

    function showFee() {
      var choice = selected();
      var text = null;
      if (choice && choice !== otherRadio && choice.dataset.fee) {
        text = choice.dataset.fee;
      } else if (choice === otherRadio) {
        var gift = parseMoney(otherInput.value);
        if (gift !== null && gift >= min && gift <= max) {
          text = formatCents(feeFor(gift));
        }
      }
      if (feeAmount && text) {
        feeAmount.textContent = text;
      }
      if (feeKnown && feeUnknown) {
        feeKnown.hidden = !text;
        feeUnknown.hidden = !!text;
      }
    }

    function showOther(focus) {
      var isOther = otherRadio.checked;
      otherField.hidden = !isOther;
      // A hidden field is also left out of the post, so a preset is never overridden.
      otherInput.disabled = !isOther;
      if (isOther && focus) {
        otherInput.focus();
      }
    }

    // Without this script a typed amount wins over the radio buttons; say so here too.
    if (otherInput.value.trim()) {
      otherRadio.checked = true;
    }
    for (var i = 0; i < radios.length; i++) {
      radios[i].addEventListener("change", function () {
        showOther(true);
        showFee();
      });
    }
    otherInput.addEventListener("input", showFee);
    showOther(false);
    showFee();

    var summary = form.querySelector("#error-summary");
    if (summary) {
      // The page comes back at #give; the browser resets focus when it scrolls there,
      // so the summary takes the focus once the page has loaded.
      var focusSummary = function () {
        if (document.activeElement !== summary) {
          summary.focus();
        }
      };
      focusSummary();
      window.addEventListener("load", function () {
        window.requestAnimationFrame(focusSummary);
      });
    }

    if (submit) {
      form.addEventListener("submit", function () {
        // The server also recognises a second post of the same form; this spares the wait.
        window.setTimeout(function () {
          submit.disabled = true;
        }, 0);
      });
      // Coming back from Stripe's page with the back button restores the page as left.
      window.addEventListener("pageshow", function () {
        submit.disabled = false;
      });
    }
  }

  var form = document.getElementById("donation-form");
  if (form) {
    enhanceForm(form);
  }
})();
