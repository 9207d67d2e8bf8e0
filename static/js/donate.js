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

  // As campaigns.formatting.format_money writes it, in English and in the site's
  // Spanish (es-US) alike: "$50", "$1,250.50"; `always` keeps the cents ("$50.00").
  // By hand rather than with Intl.NumberFormat, whose first use loads locale data
  // and would cost a phone noticeable time while the page is still loading.
  function formatCents(cents, always) {
    var dollars = String(Math.floor(cents / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    var rest = cents % 100;
    if (!always && !rest) {
      return "$" + dollars;
    }
    return "$" + dollars + "." + (rest < 10 ? "0" : "") + rest;
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
    var bankNum = parseInt(form.dataset.bankNum, 10);
    var bankDen = parseInt(form.dataset.bankDen, 10);
    var bankCap = parseInt(form.dataset.bankCap, 10);
    var bankMax = parseInt(form.dataset.bankMax, 10);
    var bankFrom = parseInt(form.dataset.bankFrom, 10);
    var methods = form.querySelectorAll('input[name="payment_method"]');
    var bankRadio = form.querySelector('input[name="payment_method"][value="bank"]');
    var cardRadio = form.querySelector('input[name="payment_method"][value="card"]');
    var bankChoice = form.querySelector("[data-bank-choice]");
    var bankSuggestion = form.querySelector("[data-bank-suggestion]");
    // Once the donor picked a method (here, or before: a form sent back with errors, a
    // way back from Checkout), the script stops choosing one for them.
    var methodPicked = !!form.querySelector("#error-summary") || /[?&]method=/.test(window.location.search);
    var radios = form.querySelectorAll('input[name="amount"]');
    var otherRadio = form.querySelector("#id_amount_other");
    var otherField = form.querySelector("#other-amount-field");
    var otherInput = form.querySelector("#id_other_amount");
    var feeAmount = form.querySelector("#fee-amount");
    var feeKnown = form.querySelector(".fee-known");
    var feeUnknown = form.querySelector(".fee-unknown");
    var submit = form.querySelector("#donate-submit");
    var coverFee = form.querySelector("#id_cover_fee");
    var frequencies = form.querySelectorAll('input[name="frequency"]');
    var perPeriod = form.querySelectorAll("[data-per]");
    var confirmField = form.querySelector("#confirm-recurring-field");
    var confirmLabel = form.querySelector("#confirm-recurring-label");

    function isBank() {
      return !!(bankRadio && bankRadio.checked);
    }

    // donations.fees, in whole cents. Card: charge = ceil((gift + fixed) * num / den).
    // Bank: the lesser of floor((2 gift - 1) * bankNum / (2 bankDen)) + 1 - gift and the cap.
    function feeFor(gift) {
      if (isBank()) {
        var uncapped = Math.floor(((2 * gift - 1) * bankNum) / (2 * bankDen)) + 1 - gift;
        return Math.min(uncapped, bankCap);
      }
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

    // The amount chosen now, in cents, valid or not; null while there is none.
    function typedCents() {
      var choice = selected();
      if (choice === otherRadio) {
        return parseMoney(otherInput.value);
      }
      return choice ? parseMoney(choice.value) : null;
    }

    // The gift chosen now, in cents, or null while none is valid for the method.
    function giftCents() {
      var gift = typedCents();
      var cap = isBank() ? bankMax : max;
      return gift !== null && gift >= min && gift <= cap ? gift : null;
    }

    // From bankFrom on, the bank account is suggested: highlighted, its lower fee said,
    // and chosen unless the donor picked a method themselves.
    function suggestBank() {
      if (!bankRadio) return;
      var gift = typedCents();
      var suggested = gift !== null && gift >= bankFrom;
      if (bankChoice) {
        bankChoice.classList.toggle("choice-suggested", suggested);
      }
      if (bankSuggestion) {
        bankSuggestion.hidden = !suggested;
      }
      if (!methodPicked && cardRadio) {
        bankRadio.checked = suggested;
        cardRadio.checked = !suggested;
      }
    }

    // "once", "monthly" or "annual": the radio button chosen, or the one frequency
    // offered (a hidden field).
    function frequency() {
      for (var i = 0; i < frequencies.length; i++) {
        if (frequencies[i].type === "hidden" || frequencies[i].checked) {
          return frequencies[i].value;
        }
      }
      return "once";
    }

    // "$25/month" or "$25/year" on the presets while a recurring gift is chosen.
    function showFrequency() {
      var chosen = frequency();
      for (var i = 0; i < perPeriod.length; i++) {
        perPeriod[i].hidden = perPeriod[i].dataset.per !== chosen;
      }
    }

    // The button says what will be charged: "Give $51.44 monthly", "Give $50 now".
    // The wordings come from the page (data-label-*), in its language.
    function showTotal() {
      showConfirmation();
      if (!submit) return;
      if (!submit.dataset.plainLabel) {
        submit.dataset.plainLabel = submit.textContent;
      }
      var total = totalCents();
      if (total === null) {
        submit.textContent = submit.dataset.plainLabel;
        return;
      }
      var chosen = frequency();
      var wording = chosen === "monthly" ? submit.dataset.labelMonthly
        : chosen === "annual" ? submit.dataset.labelAnnual : submit.dataset.labelOnce;
      if (wording) {
        submit.textContent = wording.replace("__AMOUNT__", formatCents(total));
      }
    }

    // What each charge will be, the fee included when covered; null while no amount is valid.
    function totalCents() {
      var gift = giftCents();
      return gift === null ? null : gift + (coverFee && coverFee.checked ? feeFor(gift) : 0);
    }

    // The confirmation of a pre-selected recurring gift says what will be charged and
    // how often ("Yes, charge $25 every month until I cancel."); it is needed, and
    // shown, only while a recurring frequency is chosen.
    function showConfirmation() {
      if (!confirmField) return;
      var chosen = frequency();
      confirmField.hidden = chosen !== "monthly" && chosen !== "annual";
      if (!confirmLabel.dataset.plainLabel) {
        confirmLabel.dataset.plainLabel = confirmLabel.textContent;
      }
      var total = totalCents();
      var wording = chosen === "annual" ? confirmLabel.dataset.confirmAnnual : confirmLabel.dataset.confirmMonthly;
      var text = total === null || !wording
        ? confirmLabel.dataset.plainLabel
        : wording.replace("__AMOUNT__", formatCents(total));
      if (confirmLabel.textContent !== text) {
        // The tick agrees to what the box says: a new amount or frequency asks again.
        if (confirmLabel.dataset.shown) {
          var box = confirmField.querySelector("input[type=checkbox]");
          if (box) box.checked = false;
        }
        confirmLabel.textContent = text;
      }
      confirmLabel.dataset.shown = "1";
    }

    function showFee() {
      suggestBank();
      var choice = selected();
      var text = null;
      if (choice && choice !== otherRadio && choice.dataset.fee && !isBank()) {
        text = choice.dataset.fee;
      } else if (choice) {
        var gift = giftCents();
        if (gift !== null) {
          text = formatCents(feeFor(gift), true);
        }
      }
      if (feeAmount && text) {
        feeAmount.textContent = text;
      }
      if (feeKnown && feeUnknown) {
        feeKnown.hidden = !text;
        feeUnknown.hidden = !!text;
      }
      showTotal();
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
    for (var f = 0; f < frequencies.length; f++) {
      frequencies[f].addEventListener("change", function () {
        showFrequency();
        showTotal();
      });
    }
    if (coverFee) {
      coverFee.addEventListener("change", showTotal);
    }
    for (var m = 0; m < methods.length; m++) {
      methods[m].addEventListener("change", function () {
        methodPicked = true;
        showFee();
      });
    }
    showOther(false);
    showFrequency();
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
