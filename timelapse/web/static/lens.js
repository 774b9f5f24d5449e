"use strict";
// The focus view's LensPosition slider (SPEC §17): saved through POST /api/settings like any setting.
(function () {
  const root = document.getElementById("lens");
  if (!root) return;
  const slider = document.getElementById("lens-position");
  const shown = document.getElementById("lens-value");
  const said = document.getElementById("lens-said");
  slider.addEventListener("input", () => { shown.textContent = slider.value; });
  document.getElementById("lens-save").addEventListener("click", async () => {
    const response = await fetch(root.dataset.api, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-XSRFToken": root.dataset.xsrf },
      body: JSON.stringify({ "camera.controls.LensPosition": Number(slider.value), "camera.controls.AfMode": 0 }),
    });
    let body = {};
    try { body = await response.json(); } catch (error) { /* say the status */ }
    said.textContent = response.ok ? `Saved (version ${body.version}); the camera applies it from its next capture.` :
      Object.values(body.errors || {}).join("; ") || body.error || `the camera answered ${response.status}`;
  });
})();
