// The Reliability section: retries of failed attempts and the success condition, as the API
// takes them (`retry: {attempts, on, non_idempotent}`, `success_condition`).

const $ = (id) => document.getElementById(id);

export function watchReliability(onChange) {
  const section = $("section-reliability");
  section.addEventListener("input", onChange);
  section.addEventListener("change", onChange);
}

function attempts() {
  const text = $("retry-attempts").value.trim();
  if (text === "") return 0;
  const number = Number(text);
  return Number.isNaN(number) ? text : number;
}

export function collectReliability() {
  const on = [...document.querySelectorAll('input[name="retry-on"]:checked')].map((box) => (/^\d+$/.test(box.value) ? Number(box.value) : box.value));
  const condition = $("success_condition").value;
  return {
    retry: { attempts: attempts(), on, non_idempotent: $("retry-non-idempotent").checked },
    success_condition: condition.trim() ? condition : null,
  };
}
