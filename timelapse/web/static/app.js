"use strict";
// Small and framework-free: status refresh, live view fallback and focus toggle, the day scrubber.
// Every URL comes from the page (data-* attributes) or the JSON (web/urls.py builds them): none is made here.

function setField(root, name, text) {
  const node = root.querySelector(`[data-field="${name}"]`);
  if (node) node.textContent = text;
}

async function refreshStatus(root) {
  let s;
  try {
    const response = await fetch(root.dataset.refresh, { credentials: "same-origin" });
    if (!response.ok) return;
    s = await response.json();
  } catch (error) { return; }
  setField(root, "running_text", s.running ? "running" : "not running");
  setField(root, "state", (s.state || "no status").replace(/_/g, " "));
  setField(root, "camera", s.camera || "–");
  setField(root, "last_capture", s.last_capture ? `${s.last_capture}${s.last_capture_success === false ? " (failed)" : ""}` : "none yet");
  setField(root, "next_capture", s.next_capture || "–");
  setField(root, "today", `${s.captures_today || 0} captured, ${s.skipped_today || 0} skipped`);
  setField(root, "disk", s.missing_mount ? `drive not mounted at ${s.missing_mount}` :
    s.disk_usage_percent == null ? "–" : `${s.disk_usage_percent} % used`);
  const meter = root.querySelector('[data-field="disk_meter"]');
  if (meter && s.disk_usage_percent != null) meter.value = s.disk_usage_percent;
  setField(root, "exposure", s.exposure_text || "–");
  if (s.night_sky) setField(root, "night_sky", s.night_sky.sky + (s.night_sky.stars == null ? "" : ` (${s.night_sky.stars} stars)`));
  setField(root, "clock", s.clock_synced == null ? "–" : (s.clock_synced ? "synchronized" : "NOT synchronized"));
  setField(root, "retention", s.retention_paused ? `paused: ${s.retention_paused}` : (s.retention_enabled ? "on" : "off"));
  setField(root, "last_error", s.last_error || "none");
  if (s.settings_text) setField(root, "settings", s.settings_text);
  if (s.sync) {
    const last = s.sync.last;
    setField(root, "sync", `to ${s.sync.remote}: ${last ? (last.ok ? "ok " + last.finished : "FAILED " + last.error) : "no copy yet"}` +
      (s.sync.days_waiting ? `; ${s.sync.days_waiting} day(s) waiting` : ""));
  }
  if (s.aim) setField(root, "aim", s.aim.text);
  if (s.alerts) {
    setField(root, "alerts", Object.entries(s.alerts).map(([name, h]) =>
      `${name}: ${h ? (h.ok ? "ok" : "FAILING: " + h.error) : "not started"}`).join("; "));
  }
  const thumb = root.querySelector('[data-field="last_thumb"]');
  if (thumb && s.last_thumb_url && !thumb.src.endsWith(s.last_thumb_url)) {
    thumb.src = s.last_thumb_url;
    root.querySelector('[data-field="last_link"]').href = s.last_image_url;
  }
}

function startStatus() {
  const root = document.getElementById("status");
  if (!root) return;
  refreshStatus(root);
  setInterval(() => refreshStatus(root), 5000);
}

function startLive() {
  const live = document.getElementById("live");
  if (!live) return;
  const why = document.getElementById("live-why");
  const latest = document.getElementById("live-latest");
  const toggle = document.getElementById("focus-toggle");
  let focus = false;
  const source = () => (focus ? live.dataset.focusStream : live.dataset.stream);
  async function explain() {
    // No stream: say why (the daemon's status) and show the latest image; try again soon.
    try {
      const s = await (await fetch(live.dataset.status, { credentials: "same-origin" })).json();
      why.textContent = s.running ? `No live picture: ${(s.state || "").replace(/_/g, " ")}${s.last_error ? " — " + s.last_error : ""}` :
        "No live picture: the capture daemon is not running (sudo systemctl start timelapse).";
      if (s.last_image_url) { latest.src = s.last_image_url; latest.hidden = false; }
    } catch (error) { why.textContent = "No live picture: the camera cannot be reached."; }
    why.hidden = false;
    live.hidden = true;  // shown again by its first frame
    setTimeout(() => { live.src = source() + (source().includes("?") ? "&" : "?") + "t=" + Date.now(); }, 5000);
  }
  live.addEventListener("error", explain);
  live.addEventListener("load", () => { live.hidden = false; why.hidden = true; latest.hidden = true; });
  live.src = source();  // set here, not in the HTML, so that an endless stream never holds up the page
  toggle.addEventListener("click", () => {
    focus = !focus;
    toggle.setAttribute("aria-pressed", String(focus));
    live.src = source();
  });
}

function startDay() {
  const root = document.getElementById("scrubber");
  if (!root) return;
  const frame = document.getElementById("frame");
  const link = document.getElementById("frame-link");
  const time = document.getElementById("frame-time");
  const scrub = document.getElementById("scrub");
  const play = document.getElementById("play");
  const keogram = document.getElementById("keogram");
  const grid = document.getElementById("grid");
  const more = document.getElementById("more");
  let images = [];
  let timer = null;
  let shown = 0;
  const show = (index) => {
    const image = images[index];
    if (!image) return;
    frame.src = image.thumb;
    link.href = image.url;
    time.textContent = image.label || image.time;
    scrub.value = index;
  };
  const addGrid = (count) => {
    // The grid is built a page at a time, and the browser loads each thumbnail only when near the screen.
    const end = Math.min(images.length, shown + count);
    for (; shown < end; shown++) {
      const image = images[shown];
      const a = document.createElement("a");
      a.href = image.url;
      const img = document.createElement("img");
      img.loading = "lazy";
      img.src = image.thumb;
      img.alt = image.label || image.time;
      a.append(img);
      const label = document.createElement("span");
      label.textContent = image.label || image.time;
      const cell = document.createElement("div");
      cell.append(a, label);
      grid.append(cell);
    }
    more.hidden = shown >= images.length;
  };
  fetch(root.dataset.day, { credentials: "same-origin" }).then((r) => r.json()).then((day) => {
    images = day.images;
    scrub.max = images.length - 1;
    addGrid(120);
    const sentinel = new IntersectionObserver((entries) => { if (entries[0].isIntersecting && shown < images.length) addGrid(120); });
    sentinel.observe(more);
  });
  scrub.addEventListener("input", () => show(Number(scrub.value)));
  more.addEventListener("click", () => addGrid(120));
  play.addEventListener("click", () => {
    if (timer) { clearInterval(timer); timer = null; play.textContent = "Play"; return; }
    play.textContent = "Pause";
    timer = setInterval(() => show((Number(scrub.value) + 1) % images.length), 100);
  });
  if (keogram) keogram.addEventListener("click", (event) => {
    const box = keogram.getBoundingClientRect();
    show(Math.min(images.length - 1, Math.floor((event.clientX - box.left) / box.width * images.length)));
  });
}

function startCompare() {
  // Compare with reference (SPEC §20): the reference over the live picture, and the shift of each frame in words.
  const toggle = document.getElementById("compare-toggle");
  if (!toggle) return;
  const overlay = document.getElementById("aim-overlay");
  const mode = document.getElementById("compare-mode");
  const said = document.getElementById("aim-shift");
  let on = false, frame = 0, round = 0;
  const say = (text, moved) => { said.textContent = text; said.classList.toggle("moved", Boolean(moved)); };
  async function follow(mine) {
    while (on && mine === round) {
      let wait = 0;
      try {
        const response = await fetch(`${toggle.dataset.api}?after=${frame}`, { credentials: "same-origin" });
        const answer = await response.json();
        if (mine !== round) return;
        if (!response.ok) { say(answer.error || `error ${response.status}`); wait = 3000; }
        else {
          frame = answer.frame;
          said.dataset.frame = frame;
          const where = answer.words === "in place" ? "In place" : answer.words;
          say(answer.verdict ? `${where} (dx ${answer.dx}, dy ${answer.dy} px; confidence ${answer.confidence})`
            : `No verdict: ${answer.why}`, answer.verdict && answer.words !== "in place");
          if (answer.source !== "live") wait = 5000;  // the newest image changes once an interval
        }
      } catch (error) { say("The camera cannot be reached."); wait = 3000; }
      if (wait) await new Promise((done) => setTimeout(done, wait));
    }
  }
  toggle.addEventListener("click", () => {
    on = !on;
    round += 1;
    toggle.setAttribute("aria-pressed", String(on));
    overlay.hidden = mode.hidden = said.hidden = !on;
    if (on) {
      overlay.src = `${overlay.dataset.src}?t=${Date.now()}`;  // the reference may have been set since
      say("Comparing…");
      follow(round);
    }
  });
  mode.addEventListener("change", () => overlay.classList.toggle("difference", mode.value === "difference"));
}

document.addEventListener("DOMContentLoaded", () => { startStatus(); startLive(); startDay(); startCompare(); });
