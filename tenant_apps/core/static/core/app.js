/* The tenant web app's few behaviours that HTMX does not cover: the theme toggle, the phone
   menu, copy buttons, toasts for failed requests, and the browser's position for check-in. */
(function () {
  "use strict";
  var root = document.documentElement;

  function setTheme(theme) {
    root.setAttribute("data-theme", theme);
    try { localStorage.setItem("theme", theme); } catch (e) { /* private mode: not remembered */ }
    document.querySelectorAll("[data-theme-toggle]").forEach(function (b) {
      b.setAttribute("aria-pressed", theme === "dark" ? "true" : "false");
    });
  }

  function toast(message, kind) {
    var box = document.getElementById("toasts");
    if (!box) return;
    var t = document.createElement("div");
    t.className = "toast " + (kind || "");
    t.setAttribute("role", kind === "error" ? "alert" : "status");
    var text = document.createElement("span");
    text.textContent = message;
    var close = document.createElement("button");
    close.type = "button"; close.className = "small ghost"; close.textContent = "Dismiss";
    close.addEventListener("click", function () { t.remove(); });
    t.appendChild(text); t.appendChild(close);
    box.appendChild(t);
    setTimeout(function () { t.remove(); }, 8000);
  }
  window.appToast = toast;

  function positionInto(form, done) {
    var status = form.querySelector("[data-geo-status]");
    var say = function (text) { if (status) status.textContent = text; };
    if (!navigator.geolocation) {
      say("This browser cannot tell your position, so the site's geofence cannot be checked.");
      return done(false);
    }
    say("Finding your position…");
    navigator.geolocation.getCurrentPosition(function (p) {
      form.querySelector("[name=latitude]").value = p.coords.latitude.toFixed(6);
      form.querySelector("[name=longitude]").value = p.coords.longitude.toFixed(6);
      form.querySelector("[name=accuracy_m]").value = Math.min(p.coords.accuracy, 1000).toFixed(1);
      say("Position found (±" + Math.round(p.coords.accuracy) + " m).");
      done(true);
    }, function (err) {
      var why = err.code === 1
        ? "Location permission was denied: allow location for this site in the browser to check in."
        : err.code === 3 ? "Your position could not be found in time (timeout); try again outdoors or near a window."
        : "Your position is unavailable on this device right now; try again.";
      say(why);
      done(false, why);
    }, {enableHighAccuracy: true, timeout: 10000, maximumAge: 0});
  }

  document.addEventListener("click", function (ev) {
    var t = ev.target.closest("[data-theme-toggle]");
    if (t) { setTheme(root.getAttribute("data-theme") === "dark" ? "light" : "dark"); return; }
    var m = ev.target.closest("[data-menu-toggle]");
    if (m) {
      var bar = m.closest(".topbar");
      var open = bar.classList.toggle("open");
      m.setAttribute("aria-expanded", open ? "true" : "false");
      return;
    }
    var c = ev.target.closest("[data-copy]");
    if (c) {
      var src = document.getElementById(c.getAttribute("data-copy"));
      var value = src ? src.textContent.trim() : "";
      var ok = function () { c.textContent = "Copied"; toast("Copied to the clipboard.", "success"); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(value).then(ok, function () { toast("Copy failed: select the key and copy it by hand.", "error"); });
      } else {
        var range = document.createRange(); range.selectNodeContents(src);
        var sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(range);
        try { document.execCommand("copy"); ok(); } catch (e) { toast("Select the key and copy it by hand.", "error"); }
      }
      return;
    }
    var d = ev.target.closest("[data-dialog-open]");
    if (d) { document.getElementById(d.getAttribute("data-dialog-open")).showModal(); return; }
    var dc = ev.target.closest("[data-dialog-close]");
    if (dc) { dc.closest("dialog").close(); }
  });

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.hasAttribute("data-geo") || form.dataset.located === "1") return;
    ev.preventDefault();
    ev.stopPropagation();  // nothing (HTMX included) sees the submit until the position is in
    positionInto(form, function (found) {
      if (!found && form.dataset.geo !== "optional") return;
      form.dataset.located = "1";
      if (form.requestSubmit) form.requestSubmit(ev.submitter); else form.submit();
      form.dataset.located = "";
    });
  }, true);

  document.addEventListener("htmx:responseError", function (ev) {
    var xhr = ev.detail.xhr;
    toast("The server could not answer (" + xhr.status + "): the list shows what it last loaded.", "error");
  });
  document.addEventListener("htmx:sendError", function () {
    toast("No connection to the server; nothing was changed. Try again.", "error");
  });
  document.addEventListener("DOMContentLoaded", function () {
    setTheme(root.getAttribute("data-theme") || "light");
    document.querySelectorAll("[data-toast]").forEach(function (el) {
      toast(el.getAttribute("data-toast"), el.getAttribute("data-kind"));
    });
  });
})();
