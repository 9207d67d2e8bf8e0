// Lets editors reorder help sections by dragging them; the position fields are
// renumbered to match, so saving the form stores the new order. Without JavaScript
// the position fields can still be edited by hand.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const group of document.querySelectorAll(".sortable-sections")) {
    const rows = () => [...group.querySelectorAll(".inline-related:not(.empty-form)")];
    const renumber = () => {
      rows().forEach((row, index) => {
        const input = row.querySelector("input[name$='-position']");
        if (input) input.value = index + 1;
      });
    };
    let dragged = null;
    for (const row of rows()) {
      row.draggable = true;
      row.style.cursor = "move";
      row.addEventListener("dragstart", () => { dragged = row; });
      row.addEventListener("dragover", (event) => event.preventDefault());
      row.addEventListener("drop", (event) => {
        event.preventDefault();
        if (dragged && dragged !== row) {
          row.parentNode.insertBefore(dragged, row);
          renumber();
        }
      });
    }
  }
});
