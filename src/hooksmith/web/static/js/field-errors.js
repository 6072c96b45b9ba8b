// Marking the control an API error names by its `field` path, and clearing the marks again.

const ROW_FIELD = /^(headers|params|custom_variables)\[(\d+)\](?:\.(\w+))?/;

export function clearFieldErrors(form) {
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

export function markField(element, message) {
  element.setAttribute("aria-invalid", "true");
  element.classList.add("invalid");
  const note = document.createElement("p");
  note.className = "field-error";
  note.dataset.for = element.id || element.name;
  note.id = `${element.id || element.name}-error`;
  note.textContent = message;
  element.setAttribute("aria-describedby", note.id);
  (element.closest(".endpoint, fieldset.choices, label.check") ?? element).after(note);
  element.focus();
}
