// The help sections' order on the campaign form: "Move up" / "Move down" buttons in
// each section (and Alt+Arrow Up / Down from anywhere inside one), or dragging a
// section by its title bar. Each move renumbers the position fields, so saving the form
// stores the new order, and is announced to screen readers. Without JavaScript the
// position fields can still be edited by hand.
"use strict";
(() => {
  const labels = () => {
    const data = document.getElementById("section-reorder-labels");
    return data ? JSON.parse(data.textContent) : {};
  };
  const fill = (text, values) => text.replace(/%\((\w+)\)s/g, (_, key) => values[key]);

  function setUp(group, words) {
    const rows = () => [...group.querySelectorAll(":scope > .inline-related:not(.empty-form)")];
    const status = document.createElement("p");
    status.className = "visually-hidden section-order-status";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    group.append(status);
    const hint = document.createElement("p");
    hint.className = "section-order-hint";
    hint.textContent = words.hint;
    group.querySelector("h2")?.after(hint);

    const nameOf = (row) => {
      const heading = row.querySelector("input[name$='-heading']");
      return (heading && heading.value.trim()) || words.unnamed;
    };
    const refresh = () => {
      const all = rows();
      all.forEach((row, index) => {
        const input = row.querySelector("input[name$='-position']");
        if (input) input.value = index + 1;
        const name = nameOf(row);
        const up = row.querySelector(".section-move-up");
        const down = row.querySelector(".section-move-down");
        if (up) up.disabled = index === 0;
        if (down) down.disabled = index === all.length - 1;
        // The visible words start the button's name; the section's heading ends it.
        for (const which of row.querySelectorAll(".section-move-name")) {
          which.textContent = `: ${name}`;
        }
      });
    };
    const announce = (row) => {
      const all = rows();
      status.textContent = fill(words.moved, {
        name: nameOf(row),
        position: all.indexOf(row) + 1,
        count: all.length,
      });
      for (const other of all) other.classList.toggle("is-moved", other === row);
    };
    const move = (row, step) => {
      const all = rows();
      const target = all[all.indexOf(row) + step];
      if (!target) return false;
      target.parentNode.insertBefore(row, step < 0 ? target : target.nextSibling);
      refresh();
      announce(row);
      return true;
    };
    const focusButton = (row, step) => {
      const wanted = row.querySelector(step < 0 ? ".section-move-up" : ".section-move-down");
      const other = row.querySelector(step < 0 ? ".section-move-down" : ".section-move-up");
      (wanted && !wanted.disabled ? wanted : other)?.focus();
    };

    let dragged = null;
    const enhance = (row) => {
      if (row.querySelector(".section-move")) return;
      const bar = document.createElement("div");
      bar.className = "section-move";
      for (const [step, cls, text] of [[-1, "section-move-up", words.up], [1, "section-move-down", words.down]]) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = cls;
        const arrow = document.createElement("span");
        arrow.setAttribute("aria-hidden", "true");
        arrow.textContent = step < 0 ? "↑ " : "↓ ";
        const which = document.createElement("span");
        which.className = "visually-hidden section-move-name";
        button.append(arrow, text, which);
        button.addEventListener("click", () => {
          if (move(row, step)) focusButton(row, step);
        });
        bar.append(button);
      }
      const title = row.querySelector("h3");
      (title || row.firstElementChild).after(bar);
      row.addEventListener("keydown", (event) => {
        if (!event.altKey || (event.key !== "ArrowUp" && event.key !== "ArrowDown")) return;
        event.preventDefault();
        const step = event.key === "ArrowUp" ? -1 : 1;
        const focused = document.activeElement;
        if (move(row, step)) (row.contains(focused) ? focused : row).focus();
      });
      row.querySelector("input[name$='-heading']")?.addEventListener("input", refresh);
      // Dragging starts from the title bar only, so text in the fields can still be
      // selected with the mouse.
      if (title) {
        title.classList.add("drag-handle");
        title.addEventListener("mousedown", () => { row.draggable = true; });
      }
      row.addEventListener("dragstart", (event) => {
        dragged = row;
        row.classList.add("is-dragged");
        event.dataTransfer.effectAllowed = "move";
      });
      row.addEventListener("dragend", () => {
        row.draggable = false;
        row.classList.remove("is-dragged");
        dragged = null;
      });
      row.addEventListener("dragover", (event) => {
        if (dragged && dragged !== row) event.preventDefault();
      });
      row.addEventListener("drop", (event) => {
        event.preventDefault();
        if (!dragged || dragged === row) return;
        // Above the middle of the row: before it; below: after it.
        const box = row.getBoundingClientRect();
        const after = event.clientY > box.top + box.height / 2;
        row.parentNode.insertBefore(dragged, after ? row.nextSibling : row);
        refresh();
        announce(dragged);
      });
    };

    rows().forEach(enhance);
    refresh();
    document.addEventListener("formset:added", (event) => {
      if (group.contains(event.target)) {
        enhance(event.target);
        refresh();
      }
    });
    document.addEventListener("formset:removed", refresh);
  }

  document.addEventListener("DOMContentLoaded", () => {
    const words = labels();
    for (const group of document.querySelectorAll(".sortable-sections")) setUp(group, words);
  });
})();
