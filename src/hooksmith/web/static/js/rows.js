// Tables of repeatable rows (Headers, Params, Custom Variables): add, remove, renumber, read, write.

export class RowTable {
  constructor(kind, onChange) {
    this.kind = kind;
    this.idPrefix = kind === "custom_variables" ? "cv" : kind;
    this.table = document.getElementById(`${kind}-table`);
    this.body = this.table.tBodies[0];
    this.template = document.getElementById(`${kind}-row-template`);
    this.onChange = onChange;
    this.body.addEventListener("input", () => this.onChange(this));
    this.body.addEventListener("click", (event) => {
      const button = event.target.closest("[data-remove]");
      if (!button) return;
      const row = button.closest("[data-row]");
      const next = row.nextElementSibling ?? row.previousElementSibling;
      row.remove();
      this.renumber();
      this.onChange(this);
      (next?.querySelector("input") ?? document.querySelector(`[data-add="${this.kind}"]`)).focus();
    });
    document.querySelector(`[data-add="${kind}"]`).addEventListener("click", () => {
      const row = this.add();
      row.querySelector("input").focus();
      this.onChange(this);
    });
    this.renumber();
  }

  rows() {
    return [...this.body.querySelectorAll("[data-row]")];
  }

  add(values = {}) {
    const row = this.template.content.firstElementChild.cloneNode(true);
    for (const input of row.querySelectorAll("[data-part]")) {
      input.value = values[input.dataset.part] ?? "";
    }
    this.body.append(row);
    this.renumber();
    return row;
  }

  setAll(list) {
    for (const row of this.rows()) row.remove();
    for (const values of list) this.add(values);
  }

  renumber() {
    this.rows().forEach((row, index) => {
      for (const input of row.querySelectorAll("[data-part]")) {
        input.id = `${this.idPrefix}-${index}-${input.dataset.part}`;
        input.dataset.field = `${this.kind}[${index}].${input.dataset.part}`;
        const label = input.parentElement.querySelector("label");
        if (label) {
          label.htmlFor = input.id;
          label.textContent = label.dataset.label.replace("{n}", index + 1);
        }
      }
      const remove = row.querySelector("[data-remove]");
      remove.setAttribute("aria-label", remove.dataset.label.replace("{n}", index + 1));
    });
  }

  values() {
    return this.rows().map((row) => {
      const values = {};
      for (const input of row.querySelectorAll("[data-part]")) values[input.dataset.part] = input.value;
      return values;
    });
  }
}
