// The campaign's "QR code and donate button" page: the choices update the snippets and
// previews as soon as they change, and each "Copy the snippet" button copies its text
// area (selecting it too, so that Ctrl+C works where the clipboard is not allowed).
"use strict";
(() => {
  for (const form of document.querySelectorAll("form[data-submit-on-change]")) {
    form.addEventListener("change", () => form.requestSubmit());
  }
  for (const button of document.querySelectorAll("button[data-copy]")) {
    button.addEventListener("click", async () => {
      const area = document.getElementById(button.dataset.copy);
      const status = button.parentElement.querySelector("[role=status]");
      area.select();
      try {
        await navigator.clipboard.writeText(area.value);
        status.textContent = button.dataset.copied;
      } catch {
        status.textContent = "";
      }
    });
  }
})();
