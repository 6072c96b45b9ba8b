// The Context section: one field per {{ placeholder }} of the endpoint, following it as it is typed.

export class ContextFields {
  constructor({ container, empty, initial, onChange }) {
    this.container = container;
    this.empty = empty;
    this.values = { ...initial };
    this.names = [];
    container.addEventListener("input", (event) => {
      const input = event.target.closest("[data-context]");
      if (!input) return;
      this.values[input.dataset.context] = input.value;
      onChange();
    });
  }

  follow(names) {
    for (const field of [...this.container.children]) {
      if (!names.includes(field.dataset.name)) field.remove();
    }
    names.forEach((name, index) => {
      let field = this.container.querySelector(`[data-name="${name}"]`);
      if (!field) {
        field = document.createElement("div");
        field.className = "field";
        field.dataset.name = name;
        const label = document.createElement("label");
        label.htmlFor = `context-${name}`;
        label.textContent = name;
        const input = document.createElement("input");
        input.id = `context-${name}`;
        input.className = "mono";
        input.dataset.context = name;
        input.dataset.field = `context.${name}`;
        input.autocomplete = "off";
        input.placeholder = `value for {{ ${name} }}, or empty to take it from the conversation`;
        input.value = this.values[name] ?? "";
        field.append(label, input);
      }
      const at = this.container.children[index];
      if (at !== field) this.container.insertBefore(field, at ?? null);
    });
    this.names = names;
    this.empty.hidden = names.length > 0;
  }

  // The saved map: only placeholders still in the endpoint, only values that were typed.
  collect() {
    const context = {};
    for (const name of this.names) {
      if (this.values[name]) context[name] = this.values[name];
    }
    return context;
  }
}
