/* Progressive enhancements; every page works without them.
 * - autosave: forms marked data-autosave post themselves (fetch) a moment after typing stops.
 * - upload: forms marked data-upload show a progress bar while the file is sent.
 * - report status: an element marked data-report-pending (a report being rendered) asks
 *   the report API every few seconds and reloads the page once the render is ready or
 *   failed; without the script its "Check again" link does the same by hand.
 */
(function () {
  "use strict";

  function csrf(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function autosave(form) {
    var status = form.querySelector(".autosave-status");
    var timer = null;
    function say(text) { if (status) { status.textContent = text; } }
    function save() {
      var data = new FormData(form);
      say("Saving…");
      fetch(form.action, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { "Accept": "application/json", "X-CSRFToken": csrf(form) }
      }).then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      }).then(function (result) {
        if (result.ok) { say("Saved automatically."); }
        else if (result.body && result.body.errors) { say("Not saved yet: complete the judgement and its rationale."); }
        else { say("Not saved: " + ((result.body && result.body.detail) || "refused")); }
      }).catch(function () { say("Not saved (no connection); use the Save button."); });
    }
    form.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(save, 1200);
    });
  }

  function upload(form) {
    var bar = form.querySelector("progress");
    var status = form.querySelector(".upload-status");
    form.addEventListener("submit", function (event) {
      if (!window.FormData || !window.XMLHttpRequest || !bar) { return; }
      event.preventDefault();
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("X-CSRFToken", csrf(form));
      bar.hidden = false;
      bar.value = 0;
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) {
          bar.value = Math.round((e.loaded / e.total) * 100);
          if (status) { status.textContent = "Uploading: " + bar.value + "%"; }
        }
      });
      xhr.addEventListener("load", function () {
        var body = {};
        try { body = JSON.parse(xhr.responseText); } catch (e) { body = {}; }
        if (xhr.status === 201 && body.redirect) {
          window.location.assign(body.redirect + "#documents");
          window.location.reload();
        } else if (xhr.status >= 400 && xhr.getResponseHeader("Content-Type") &&
                   xhr.getResponseHeader("Content-Type").indexOf("json") >= 0) {
          if (status) { status.textContent = "Refused: " + (body.detail || "the file was not accepted."); }
          bar.hidden = true;
        } else {
          form.submit(); /* let the server render the form with its errors */
        }
      });
      xhr.addEventListener("error", function () {
        if (status) { status.textContent = "The upload failed; try again."; }
        bar.hidden = true;
      });
      xhr.send(new FormData(form));
    });
  }

  function reportStatus(item) {
    var url = item.getAttribute("data-status-url");
    var tries = 0;
    function check() {
      tries += 1;
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (body) {
          if (body && body.status && body.status !== "pending") {
            window.location.reload();
          } else if (tries < 200) {
            setTimeout(check, 3000);
          }
        })
        .catch(function () { if (tries < 200) { setTimeout(check, 3000); } });
    }
    setTimeout(check, 2000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-report-pending]"), reportStatus);
    Array.prototype.forEach.call(document.querySelectorAll("form[data-autosave]"), autosave);
    Array.prototype.forEach.call(document.querySelectorAll("form[data-upload]"), upload);
  });
})();
