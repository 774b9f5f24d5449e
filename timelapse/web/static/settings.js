"use strict";
// The Settings page: save one field through POST /api/settings (X-XSRFToken), show errors beside it,
// wait for the daemon to say "applied" (its status' settings.version), show the coming days' windows.

(function () {
  const root = document.getElementById("settings");
  if (!root || root.dataset.readOnly) return;
  const applied = document.getElementById("applied");

  function parse(text) {
    // JSON where it is JSON (numbers, lists, {"mode": "smooth"}, true), else the text as typed ("30s", "08:00-18:00").
    try { return JSON.parse(text); } catch (error) { return text; }
  }

  async function post(changes) {
    const response = await fetch(root.dataset.api, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-XSRFToken": root.dataset.xsrf },
      body: JSON.stringify(changes),
    });
    let body = {};
    try { body = await response.json(); } catch (error) { /* not JSON: say the status */ }
    return { status: response.status, body };
  }

  async function waitApplied(version) {
    applied.textContent = `Saved as version ${version}; waiting for the camera to apply it…`;
    for (let i = 0; i < 30; i++) {
      try {
        const s = await (await fetch(root.dataset.status, { credentials: "same-origin" })).json();
        const mine = s.settings || {};
        if (mine.version === version) { applied.textContent = `Version ${version} applied (${mine.applied || "now"}).`; return; }
        if (mine.error) { applied.textContent = `Not applied: ${mine.error}`; return; }
        if (!s.running) { applied.textContent = `Saved as version ${version}; the capture daemon is not running, it applies it when it starts.`; return; }
      } catch (error) { /* try again */ }
      await new Promise((done) => setTimeout(done, 1000));
    }
    applied.textContent = `Saved as version ${version}; the camera has not confirmed it yet.`;
  }

  async function showWindows() {
    const section = document.getElementById("windows");
    try {
      const { days } = await (await fetch(root.dataset.schedule, { credentials: "same-origin" })).json();
      const list = section.querySelector("ul");
      list.replaceChildren(...days.map((day) => {
        const item = document.createElement("li");
        item.textContent = day.from ? `${day.date}: ${day.from.slice(11, 16)} to ${day.until.slice(11, 16)} (${day.hours} h)` +
          (day.note ? ` — ${day.note}` : "") : `${day.date}: no capture${day.note ? " (" + day.note + ")" : ""}`;
        return item;
      }));
      section.hidden = false;
    } catch (error) { /* the page still works without it */ }
  }

  async function save(field, value) {
    const key = field.dataset.key;
    const error = field.querySelector(".field-error");
    root.querySelectorAll(".field-error").forEach((node) => { node.hidden = true; });
    const { status, body } = await post({ [key]: value });
    if (status === 200) {
      const row = body.settings[key];
      field.querySelector('[data-field="origin"]').textContent = row.origin;
      const input = field.querySelector("input, select");
      if (value === null) input.value = typeof row.value === "string" ? row.value : JSON.stringify(row.value);
      if (field.closest("#settings") && ["capture.active_hours", "capture.location"].includes(key)) showWindows();
      waitApplied(body.version);
      return;
    }
    const errors = body.errors || { [key]: body.error || `the camera answered ${status}` };
    for (const [name, text] of Object.entries(errors)) {
      const target = root.querySelector(`.field[data-key="${CSS.escape(name)}"] .field-error`) || error;
      target.textContent = name && target === error && name !== key ? `${name}: ${text}` : text;
      target.hidden = false;
    }
  }

  root.querySelectorAll(".field").forEach((field) => {
    const input = field.querySelector("input, select");
    const button = field.querySelector(".save");
    if (button) button.addEventListener("click", () => save(field, parse(input.value)));
    if (input && input.tagName === "INPUT") input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") { event.preventDefault(); save(field, parse(input.value)); }
    });
    const useFile = field.querySelector(".use-file");
    if (useFile) useFile.addEventListener("click", () => save(field, null));
  });
})();
