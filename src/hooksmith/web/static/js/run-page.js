// One run's page: its stored response body as a collapsible tree.

import { renderTree } from "./tree.js";

const data = document.getElementById("response-data");
const tree = document.getElementById("response-tree");
if (data && tree) renderTree(tree, JSON.parse(data.textContent));
