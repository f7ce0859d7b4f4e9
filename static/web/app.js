/* Progressive enhancements; every page works without them.
 * - autosave: forms marked data-autosave post themselves (fetch) a moment after typing stops,
 *   and their Save button saves the same way, without reloading the page (which would drop
 *   what was typed in the page's other forms).
 * - unsaved changes: leaving a page with a changed form that was not saved asks first.
 * - upload: forms marked data-upload show a progress bar while the file is sent, and a
 *   refusal as an error at the file field.
 * - report status: an element marked data-report-pending (a report being rendered) asks
 *   the report API every few seconds and reloads the page once the render is ready or
 *   failed; without the script its "Check again" link does the same by hand.
 * Its words are in the page's language: Django's JavaScript catalogue (/i18n/js/, loaded
 * before this script) defines gettext and interpolate; without it they stay English.
 */
(function () {
  "use strict";

  function gettext(text) { return window.gettext ? window.gettext(text) : text; }
  function interpolate(format, values) {
    if (window.interpolate) { return window.interpolate(format, values, true); }
    return format.replace(/%\((\w+)\)s/g, function (all, name) { return String(values[name]); });
  }

  var dirty = [];

  function markDirty(form) { if (dirty.indexOf(form) < 0) { dirty.push(form); } }
  function markClean(form) { var i = dirty.indexOf(form); if (i >= 0) { dirty.splice(i, 1); } }

  function csrf(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function autosave(form) {
    var status = form.querySelector(".autosave-status");
    var timer = null;
    var edits = 0;
    function say(text, failed) {
      if (!status) { return; }
      status.textContent = text;
      status.classList.toggle("error", !!failed);
    }
    function save(byButton) {
      var data = new FormData(form);
      var sent = edits;
      clearTimeout(timer);
      say(gettext("Saving…"));
      fetch(form.action, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { "Accept": "application/json", "X-CSRFToken": csrf(form) }
      }).then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      }).then(function (result) {
        if (result.ok) {
          if (edits === sent) { markClean(form); }
          say(byButton ? gettext("Saved.") : gettext("Saved automatically."));
        } else if (result.body && result.body.errors) {
          say(gettext("Not saved yet: complete the judgement and its rationale."), true);
        } else {
          say(result.body && result.body.detail ?
            interpolate(gettext("Not saved: %(reason)s"), { reason: result.body.detail }) :
            gettext("Not saved: refused"), true);
        }
      }).catch(function () { say(gettext("Not saved (no connection); try the Save button again."), true); });
    }
    form.addEventListener("input", function () {
      edits += 1;
      clearTimeout(timer);
      timer = setTimeout(function () { save(false); }, 1200);
    });
    form.addEventListener("submit", function (event) {
      if (!window.fetch || !window.FormData) { return; }
      event.preventDefault();
      save(true);
    });
  }

  function warnBeforeLeaving(form) {
    if (form.querySelector("input[type=password]")) { return; } /* a login holds nothing to lose */
    form.addEventListener("input", function () { markDirty(form); });
    form.addEventListener("change", function () { markDirty(form); });
    if (!form.hasAttribute("data-autosave")) {
      /* a plain post leaves the page on purpose: what it sends is not lost */
      form.addEventListener("submit", function () { markClean(form); });
    }
  }

  function upload(form) {
    var bar = form.querySelector("progress");
    var status = form.querySelector(".upload-status");
    var file = form.querySelector("input[type=file]");
    function refuse(text) {
      if (status) {
        status.textContent = text;
        status.classList.add("error");
        status.setAttribute("role", "alert");
      }
      if (file) {
        file.setAttribute("aria-invalid", "true");
        if (status && status.id) { file.setAttribute("aria-describedby", status.id); }
        if (file.closest(".field")) { file.closest(".field").classList.add("has-error"); }
      }
      bar.hidden = true;
    }
    form.addEventListener("submit", function (event) {
      if (!window.FormData || !window.XMLHttpRequest || !bar) { return; }
      event.preventDefault();
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("X-CSRFToken", csrf(form));
      bar.hidden = false;
      bar.value = 0;
      if (status) { status.classList.remove("error"); status.setAttribute("role", "status"); }
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) {
          bar.value = Math.round((e.loaded / e.total) * 100);
          if (status) { status.textContent = interpolate(gettext("Uploading: %(percent)s"), { percent: bar.value + "%" }); }
        }
      });
      xhr.addEventListener("load", function () {
        var body = {};
        try { body = JSON.parse(xhr.responseText); } catch (e) { body = {}; }
        if (xhr.status === 201 && body.redirect) {
          markClean(form);
          window.location.assign(body.redirect + "#documents");
          window.location.reload();
        } else if (xhr.status >= 400 && xhr.getResponseHeader("Content-Type") &&
                   xhr.getResponseHeader("Content-Type").indexOf("json") >= 0) {
          refuse(body.detail ?
            interpolate(gettext("The file was not accepted: %(reason)s"), { reason: body.detail }) :
            gettext("The file was not accepted: it is not a plain PDF."));
        } else {
          markClean(form);
          form.submit(); /* let the server render the form with its errors */
        }
      });
      xhr.addEventListener("error", function () { refuse(gettext("The upload failed; try again.")); });
      xhr.send(new FormData(form));
    });
  }

  window.addEventListener("beforeunload", function (event) {
    if (dirty.length) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

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
    Array.prototype.forEach.call(
      document.querySelectorAll("main form[method=post]:not([data-upload])"), warnBeforeLeaving);
  });
})();
