// Completion in the body editor: inside {{ … }} or {% … %} it offers the names a body can use —
// `certainly.*` and `fb.*` (the conversation data of the help-center article), the Context keys,
// the custom variables, and the top-level names of the sample conversation — and in a {% block
// the statements. Arrow keys move, Enter or Tab insert, Escape closes, Ctrl+Space opens.

export const CERTAINLY = [
  ["sessionId", "Unique ID for the conversation"],
  ["reply", "Raw user response"],
  ["replyData", "Validated response in a Collector module"],
  ["extractedData", "JSON with previously validated responses"],
  ["customVariables", "Previously generated custom variables"],
  ["botId", "Bot UUID"],
  ["botDeploymentId", "Bot deployment UUID"],
  ["moduleId", "ID of the current module"],
  ["direction", "\"in\" or \"out\""],
  ["to", "Channel ID"],
  ["from", "Bot user external ID"],
  ["botTrainedModelId", "UUID of the AI model key"],
  ["attachedMedia", "Empty value for now"],
];
export const FB = [
  ["firstName", "Only in the Facebook channel"],
  ["lastName", "Only in the Facebook channel"],
];
const STATEMENTS = ["if", "elif", "else", "endif", "for", "endfor", "set"];
const AFTER_WORDS = /(?:^|\s)(?:if|elif|in|and|or|not|set\s+\w+\s*=)\s+$/;

// Where the name being typed starts, its parent names and its prefix; null outside Jinja.
export function nameAt(text, caret) {
  const before = text.slice(0, caret);
  const open = Math.max(before.lastIndexOf("{{"), before.lastIndexOf("{%"));
  if (open < 0 || Math.max(before.lastIndexOf("}}"), before.lastIndexOf("%}")) > open) return null;
  const inside = before.slice(open + 2);
  if ((inside.match(/["']/g) ?? []).length % 2 === 1) return null;
  const match = /([A-Za-z_]\w*(?:\.\w*)*|)$/.exec(inside);
  const path = match[1];
  const lead = inside.slice(0, inside.length - path.length);
  if (/\|\s*$/.test(lead) || /\.\s*$/.test(lead)) return null;
  const parents = path ? path.split(".") : [];
  const prefix = parents.pop() ?? "";
  return {
    block: before.startsWith("{%", open),
    first: lead.trim() === "",
    afterWord: AFTER_WORDS.test(lead),
    parents,
    prefix,
    start: caret - prefix.length,
  };
}

function entries(list, detail) {
  return list.map(([label, about]) => ({ label, detail: about ?? detail }));
}

function keysOf(value) {
  return value && typeof value === "object" && !Array.isArray(value) ? Object.keys(value) : [];
}

// The names under `parents`, from what the form knows and from the sample conversation.
export function namesUnder(parents, known) {
  const { context = [], variables = [], sample = {} } = known;
  let sampleValue = sample;
  for (const name of parents) sampleValue = keysOf(sampleValue).includes(name) ? sampleValue[name] : undefined;
  const path = parents.join(".");
  let names = [];
  if (path === "") {
    names = [
      { label: "certainly", detail: "Conversation data", more: true },
      { label: "fb", detail: "Facebook user (FB channel only)", more: true },
      ...context.map((label) => ({ label, detail: "Context" })),
      ...variables.map((label) => ({ label, detail: "Custom variable" })),
    ];
  } else if (path === "certainly") {
    names = entries(CERTAINLY).map((entry) => ({ ...entry, more: entry.label === "customVariables" }));
  } else if (path === "fb") {
    names = entries(FB);
  } else if (path === "certainly.customVariables") {
    names = variables.map((label) => ({ label, detail: "Custom variable" }));
  }
  const seen = new Set(names.map((entry) => entry.label));
  for (const key of keysOf(sampleValue)) {
    if (seen.has(key) || !/^[A-Za-z_]\w*$/.test(key)) continue;
    seen.add(key);
    names.push({ label: key, detail: "Sample data", more: keysOf(sampleValue[key]).length > 0 });
  }
  return names;
}

export function suggestions(at, known) {
  if (!at) return [];
  const statements = at.block && at.first && at.parents.length === 0
    ? STATEMENTS.map((label) => ({ label, detail: "Statement", statement: true })) : [];
  const pool = [...statements, ...namesUnder(at.parents, known)];
  const prefix = at.prefix.toLowerCase();
  const starts = pool.filter((entry) => entry.label.toLowerCase().startsWith(prefix));
  const inner = pool.filter((entry) => !starts.includes(entry) && prefix && entry.label.toLowerCase().includes(prefix));
  const found = [...starts, ...inner];
  if (found.length === 1 && found[0].label === at.prefix && !found[0].more) return [];
  return found;
}

export class Completion {
  constructor({ textarea, known, onInsert }) {
    this.textarea = textarea;
    this.known = known;
    this.onInsert = onInsert;
    this.items = [];
    this.active = 0;
    this.at = null;
    this.list = document.createElement("ul");
    this.list.id = `${textarea.id}-completions`;
    this.list.className = "completions";
    this.list.setAttribute("role", "listbox");
    this.list.setAttribute("aria-label", "Completions");
    this.list.hidden = true;
    // Beside the editor, not in it: the editor clips what overflows its rounded frame.
    this.frame = textarea.closest(".editor")?.parentElement ?? textarea.parentElement;
    this.frame.classList.add("has-completions");
    this.frame.append(this.list);
    textarea.setAttribute("aria-autocomplete", "list");
    textarea.setAttribute("aria-controls", this.list.id);
    textarea.addEventListener("input", () => this.update(false));
    textarea.addEventListener("keydown", (event) => this.key(event));
    textarea.addEventListener("blur", () => this.close());
    textarea.addEventListener("scroll", () => this.close());
    // Keep the focus in the textarea when an option is clicked.
    this.list.addEventListener("mousedown", (event) => event.preventDefault());
    this.list.addEventListener("click", (event) => {
      const option = event.target.closest("[data-index]");
      if (option) this.accept(Number(option.dataset.index));
    });
  }

  get open() {
    return !this.list.hidden;
  }

  update(forced) {
    const { value, selectionStart, selectionEnd } = this.textarea;
    const at = selectionStart === selectionEnd ? nameAt(value, selectionStart) : null;
    const wanted = at && (forced || at.prefix || at.parents.length || at.first || at.afterWord);
    this.items = wanted ? suggestions(at, this.known()) : [];
    this.at = at;
    if (!this.items.length) { this.close(); return; }
    this.active = 0;
    this.render();
    this.place();
  }

  render() {
    this.list.replaceChildren(...this.items.map((item, index) => {
      const option = document.createElement("li");
      option.id = `${this.list.id}-${index}`;
      option.dataset.index = String(index);
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", String(index === this.active));
      const label = document.createElement("span");
      label.className = "name";
      label.textContent = item.label + (item.more ? "." : "");
      const detail = document.createElement("span");
      detail.className = "detail";
      detail.textContent = item.detail;
      option.append(label, detail);
      return option;
    }));
    this.list.hidden = false;
    this.textarea.setAttribute("aria-activedescendant", `${this.list.id}-${this.active}`);
    this.list.children[this.active]?.scrollIntoView({ block: "nearest" });
  }

  // Under the caret: its line and column in a monospaced font, less the scrolled distance.
  place() {
    const style = getComputedStyle(this.textarea);
    const before = this.textarea.value.slice(0, this.textarea.selectionStart).split("\n");
    const lineHeight = parseFloat(style.lineHeight) || 20;
    const measure = document.createElement("canvas").getContext("2d");
    measure.font = `${style.fontSize} ${style.fontFamily}`;
    const column = measure.measureText(before[before.length - 1]).width;
    const box = this.textarea.getBoundingClientRect();
    const frame = this.frame.getBoundingClientRect();
    const top = box.top - frame.top + parseFloat(style.paddingTop) + before.length * lineHeight - this.textarea.scrollTop;
    const left = box.left - frame.left + parseFloat(style.paddingLeft) + column - this.textarea.scrollLeft;
    // Through the CSSOM, which the content security policy allows (style attributes it does not).
    this.list.style.top = `${Math.round(top + 2)}px`;
    this.list.style.left = `${Math.round(Math.min(Math.max(0, left - 8), frame.width - 320))}px`;
  }

  close() {
    this.list.hidden = true;
    this.textarea.removeAttribute("aria-activedescendant");
  }

  key(event) {
    if (event.key === " " && event.ctrlKey) {
      event.preventDefault();
      this.update(true);
      return;
    }
    if (!this.open) return;
    const moves = { ArrowDown: 1, ArrowUp: -1, PageDown: 5, PageUp: -5 };
    if (event.key in moves) {
      this.active = Math.min(this.items.length - 1, Math.max(0, this.active + moves[event.key]));
      this.render();
    } else if (event.key === "Enter" || event.key === "Tab") {
      this.accept(this.active);
    } else if (event.key === "Escape") {
      this.close();
    } else {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
  }

  // Put the chosen name in place of the typed prefix (a name with members gets its dot, so
  // the members are offered next). As an edit of the browser's own, so Ctrl+Z undoes it.
  accept(index) {
    const item = this.items[index];
    if (!item || !this.at) return;
    const { value, selectionStart } = this.textarea;
    let text = item.label + (item.more ? "." : "");
    if (item.statement && !/^(else|endif|endfor)$/.test(item.label)) text += " ";
    this.close();
    this.textarea.setSelectionRange(this.at.start, selectionStart);
    // execCommand is the one way to edit a textarea that keeps its undo history; where it
    // is gone, the value is set and the editor told.
    if (!document.execCommand?.("insertText", false, text)) {
      this.textarea.value = value.slice(0, this.at.start) + text + value.slice(selectionStart);
      const caret = this.at.start + text.length;
      this.textarea.setSelectionRange(caret, caret);
      this.onInsert();
    }
  }
}
