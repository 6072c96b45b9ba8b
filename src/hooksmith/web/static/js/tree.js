// A response body as a collapsible tree; each value, object or list can be picked to become a
// Response Mapper (an object or a list maps as its JSON value).

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function childPath(path, key) {
  if (typeof key === "number") return `${path}[${key}]`;
  return IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function leafText(value) {
  if (typeof value === "string") return JSON.stringify(value);
  return String(value);
}

function leafClass(value) {
  if (value === null) return "null";
  return typeof value;
}

function count(value) {
  if (value === null || typeof value !== "object") return 1;
  return Object.values(value).reduce((total, child) => total + count(child), 1);
}

function node(key, value, path, depth, options) {
  const item = document.createElement("li");
  const label = key === null ? "" : `${typeof key === "number" ? `[${key}]` : key}`;
  if (value !== null && typeof value === "object") {
    const details = document.createElement("details");
    details.open = options.openAll || depth < 2;
    const summary = document.createElement("summary");
    const isList = Array.isArray(value);
    const size = isList ? value.length : Object.keys(value).length;
    const shape = isList ? `[${size} item${size === 1 ? "" : "s"}]` : `{${size} key${size === 1 ? "" : "s"}}`;
    summary.innerHTML = '<span class="key"></span> ';
    summary.querySelector(".key").textContent = label || (isList ? "list" : "object");
    summary.append(pickable(shape, `muted ${isList ? "array" : "object"}`, path, value, options));
    details.append(summary);
    const list = document.createElement("ul");
    const entries = isList ? value.map((child, index) => [index, child]) : Object.entries(value);
    for (const [childKey, child] of entries) {
      list.append(node(childKey, child, childPath(path, childKey), depth + 1, options));
    }
    details.append(list);
    item.append(details);
    return item;
  }
  if (label) {
    const keySpan = document.createElement("span");
    keySpan.className = "key";
    keySpan.textContent = `${label}: `;
    item.append(keySpan);
  }
  item.append(pickable(leafText(value), leafClass(value), path, value, options));
  return item;
}

// The text of a value, a button that maps its path when values can be picked.
function pickable(text, kind, path, value, options) {
  const leaf = document.createElement(options.onPick ? "button" : "span");
  leaf.className = `leaf ${kind}`;
  leaf.textContent = text;
  leaf.dataset.path = path;
  if (options.onPick) {
    leaf.type = "button";
    leaf.title = `Map ${path} into a custom variable`;
    leaf.setAttribute("aria-label", `${text}: map ${path} into a custom variable`);
    leaf.addEventListener("click", (event) => {
      event.preventDefault(); // inside a summary: map it, do not fold it
      options.onPick(path, value);
    });
  }
  return leaf;
}

export function renderTree(container, value, { onPick = null, root = "response" } = {}) {
  container.replaceChildren();
  const list = document.createElement("ul");
  list.className = "tree-root";
  list.append(node(null, value, root, 0, { onPick, openAll: count(value) < 300 }));
  container.append(list);
}
