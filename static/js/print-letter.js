// The print button of the acknowledgement letter page: shown only when JavaScript
// runs (without it, the browser's own Print command does the same).
document.querySelectorAll(".print-button").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
});
