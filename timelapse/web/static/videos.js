"use strict";
// The Videos page's "Ask for a video" form (SPEC §18): POST the request as JSON, then show every
// request with its progress, refreshed while one is waiting or rendering. URLs come from the page
// (data-requests) and the JSON; text is set with textContent only.

function xsrfToken(form) {
  const field = form.querySelector('input[name="_xsrf"]');
  const cookie = document.cookie.split("; ").find((item) => item.startsWith("_xsrf="));
  return cookie ? decodeURIComponent(cookie.slice(6)) : (field ? field.value : "");
}

function askedFor(form) {
  const value = (name) => form.elements[name].value.trim();
  const between = value("from") && value("until") ? `${value("from")}-${value("until")}` : null;
  const daily = form.querySelector('input[name="frames"]:checked').value === "daily";
  return {
    first: value("first"), last: value("last"),
    between: daily ? null : between,
    every: daily ? null : Number(value("every") || 1),
    daily_frame: daily ? value("daily_frame") || "12:00" : null,
    overlay: value("overlay") || null,
  };
}

function describe(request) {
  const parts = [`${request.first || "?"} to ${request.last || "?"}`];
  if (request.between) parts.push(request.between);
  if (request.daily_frame) parts.push(`a frame a day at ${request.daily_frame}`);
  else if (request.every > 1) parts.push(`one frame in ${request.every}`);
  if (request.overlay) parts.push(`text “${request.overlay}”`);
  return parts.join(", ");
}

function requestItem(request) {
  const item = document.createElement("li");
  item.dataset.state = request.state;
  const what = document.createElement("div");
  what.textContent = describe(request);
  item.append(what);
  const state = document.createElement("small");
  if (request.state === "rendering") {
    state.textContent = `rendering: ${request.done} of ${request.total} frames`;
    const bar = document.createElement("progress");
    bar.max = Math.max(1, request.total);
    bar.value = request.done;
    item.append(bar);
  } else if (request.state === "failed") {
    state.className = "error";
    state.textContent = `failed: ${request.error || "no reason given"}`;
  } else if (request.state === "done") {
    state.textContent = `done, ${request.total} frames `;
  } else {
    state.textContent = "waiting for the renderer";
  }
  item.append(state);
  if (request.url) {
    const link = document.createElement("a");
    link.href = request.url;
    link.textContent = "Watch";
    item.append(link);
  }
  return item;
}

function startAsk() {
  const root = document.getElementById("ask");
  if (!root) return;
  const form = document.getElementById("ask-form");
  const error = document.getElementById("ask-error");
  const list = document.getElementById("requests");
  let timer = null;

  async function refresh() {
    clearTimeout(timer);
    let answer;
    try {
      const response = await fetch(root.dataset.requests, { credentials: "same-origin" });
      if (!response.ok) return;
      answer = await response.json();
    } catch (failure) { return; }
    list.replaceChildren(...answer.requests.map(requestItem));
    const busy = answer.requests.some((request) => request.state === "queued" || request.state === "rendering");
    timer = setTimeout(refresh, busy ? 2000 : 30000);
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const response = await fetch(root.dataset.requests, {
        method: "POST", credentials: "same-origin", body: JSON.stringify(askedFor(form)),
        headers: { "Content-Type": "application/json", "X-XSRFToken": xsrfToken(form) },
      });
      if (!response.ok) {
        const answer = await response.json().catch(() => ({}));
        error.textContent = answer.error || `the camera said ${response.status}`;
        error.hidden = false;
      }
    } catch (failure) {
      error.textContent = "the camera did not answer; try again";
      error.hidden = false;
    } finally {
      button.disabled = false;
    }
    refresh();
  });
  refresh();
}

document.addEventListener("DOMContentLoaded", startAsk);
