// The "Copy link" button of the share links. It is hidden in the HTML, because
// without JavaScript it could do nothing, and shown here where the clipboard can be
// written; the result is said in a polite status message.
(function () {
  "use strict";

  function enhance(share) {
    var item = share.querySelector("[data-copy-item]");
    var button = share.querySelector("[data-copy-url]");
    var status = share.querySelector("[data-share-status]");
    if (!item || !button || !navigator.clipboard || !window.isSecureContext) return;

    function say(text) {
      if (!status) return;
      status.textContent = "";
      window.setTimeout(function () { status.textContent = text; }, 50);
    }

    button.addEventListener("click", function () {
      navigator.clipboard.writeText(button.dataset.copyUrl).then(
        function () { say(button.dataset.copiedText || ""); },
        function () { say(button.dataset.failedText || ""); }
      );
    });
    item.hidden = false;
  }

  document.querySelectorAll("[data-share]").forEach(enhance);
})();
