// Marking the control an API error names by its `field` path, and clearing the marks again;
// a save's faults listed at once in the form's words, each linked to its control.

import { faultWords } from "./field-names.js";

const ROW_FIELD = /^(headers|params|custom_variables)\[(\d+)\](?:\.(\w+))?/;

// How far down the sticky bar, and the fault banner stuck under it, reach: a focused field
// scrolls to below both (CSS reads these in scroll-margin-top and the banner's top).
function keepClear(box) {
  const bar = document.querySelector(".actionbar");
  if (!bar) return;
  const style = document.documentElement.style;
  style.setProperty("--bar-height", `${bar.offsetHeight}px`);
  style.setProperty("--sticky-clearance", `${bar.offsetHeight + (box && !box.hidden ? box.offsetHeight : 0)}px`);
}

export function clearFieldErrors(form) {
  keepClear(document.getElementById("form-error"));
  for (const element of form.querySelectorAll("[aria-invalid]")) {
    if (element.id === "body") continue;
    element.removeAttribute("aria-invalid");
    element.classList.remove("invalid");
  }
  for (const note of form.querySelectorAll(".field-error[data-for]")) note.remove();
}

// The control for `field`: a table row's input through `rowInput(kind, index, part)`, else the
// element whose data-field is the path or its nearest parent path (`retry.on[1]` → `retry.on`).
export function findField(form, field, rowInput) {
  if (!field) return null;
  const row = ROW_FIELD.exec(field);
  if (row) return rowInput(row[1], Number(row[2]), row[3]);
  for (let path = field; path; ) {
    const element = form.querySelector(`[data-field="${CSS.escape(path)}"]`);
    if (element) return element.tagName === "FIELDSET" ? element.querySelector("input") : element;
    const parent = path.replace(/(\.\w+|\[\d+\])$/, "");
    path = parent === path ? "" : parent;
  }
  return null;
}

// Show every fault of `error` in `box` and mark each control; the first one gets the focus.
// `fieldElement(field)` finds a control; `showBody(message)` marks the body and returns it.
export function showFaults({ box, error, what, fieldElement, showBody }) {
  const faults = error.errors?.length ? error.errors : [{ field: error.field, message: error.message }];
  const shown = faults.map((fault) => {
    const { name, rest } = faultWords(fault.message, fault.field);
    const isBody = fault.field?.startsWith("body");
    const element = isBody ? showBody(fault.message) : fieldElement(fault.field);
    if (element && !isBody) markField(element, rest, { focus: false });
    return { text: name ? `${name}: ${rest}` : rest, element };
  });
  box.replaceChildren(`${what}: `);
  if (shown.length === 1) {
    box.append(faultLink(shown[0]));
  } else {
    box.append(`${shown.length} problems`);
    const list = document.createElement("ul");
    list.className = "faults";
    for (const fault of shown) {
      const item = document.createElement("li");
      item.append(faultLink(fault));
      list.append(item);
    }
    box.append(list);
  }
  box.hidden = false;
  keepClear(box);
  const first = shown.find((fault) => fault.element)?.element;
  if (first) first.focus();
  else box.scrollIntoView({ block: "nearest" });
}

// The fault's text, a link that focuses its control when there is one.
function faultLink({ text, element }) {
  if (!element?.id) return document.createTextNode(text);
  const link = Object.assign(document.createElement("a"), { href: `#${element.id}`, textContent: text });
  link.addEventListener("click", (event) => {
    event.preventDefault();
    element.focus();
  });
  return link;
}

export function markField(element, message, { focus = true } = {}) {
  element.setAttribute("aria-invalid", "true");
  element.classList.add("invalid");
  const note = document.createElement("p");
  note.className = "field-error";
  note.dataset.for = element.id || element.name;
  note.id = `${element.id || element.name}-error`;
  note.textContent = message;
  element.setAttribute("aria-describedby", note.id);
  (element.closest(".endpoint, fieldset.choices, label.check") ?? element).after(note);
  if (focus) element.focus();
}
