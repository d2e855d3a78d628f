// keyward console: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Plain http (a laptop, a test): fall back to a hidden selection.
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "absolute";
    area.style.left = "-9999px";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    return ok ? Promise.resolve() : Promise.reject(new Error("copy failed"));
  }

  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest("[data-copy]");
    if (btn) {
      var el = document.getElementById(btn.getAttribute("data-copy"));
      if (!el) return;
      var text = el.value !== undefined && el.tagName === "INPUT" ? el.value : el.textContent;
      var label = btn.textContent;
      copyText(text).then(function () {
        btn.textContent = btn.getAttribute("data-copied") || "Copied";
        btn.classList.add("copied");
        setTimeout(function () { btn.textContent = label; btn.classList.remove("copied"); }, 2000);
      }, function () {
        if (el.select) { el.select(); }
      });
      return;
    }
    var toggle = ev.target.closest("[data-toggle-secret]");
    if (toggle) {
      var input = document.getElementById(toggle.getAttribute("data-toggle-secret"));
      if (!input) return;
      var hidden = input.type === "password";
      input.type = hidden ? "text" : "password";
      toggle.textContent = hidden ? toggle.getAttribute("data-hide") : toggle.getAttribute("data-show");
      return;
    }
    var preset = ev.target.closest("[data-preset-date]");
    if (preset) {
      var group = preset.closest("[data-presets]");
      var date = document.getElementById(group.getAttribute("data-presets"));
      if (!date) return;
      date.value = preset.getAttribute("data-preset-date");
      markPreset(group);
      return;
    }
    var back = ev.target.closest("[data-back]");
    if (back && window.history.length > 1) {
      ev.preventDefault();
      window.history.back();
    }
  });

  // Forms that ask before they act.
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      ev.preventDefault();
      return;
    }
    // One-click Copy of a stored secret: the API's (audited) reveal with the console
    // session, straight to the clipboard. Without this script, or when the copy fails,
    // the form posts and the page shows the secret with its own Copy button.
    var reveal = form.getAttribute && form.getAttribute("data-reveal-copy");
    if (reveal && window.fetch && !form.hasAttribute("data-copy-failed")) {
      ev.preventDefault();
      var btn = form.querySelector("button");
      var csrf = form.querySelector("input[name=csrf]");
      var fallback = function () { form.setAttribute("data-copy-failed", ""); form.submit(); };
      fetch(reveal, { method: "POST", credentials: "same-origin",
                      headers: { "X-CSRF-Token": csrf ? csrf.value : "", "Accept": "application/json" } })
        .then(function (res) { if (!res.ok) throw new Error(String(res.status)); return res.json(); })
        .then(function (body) { return copyText(body.token); })
        .then(function () {
          var label = btn.textContent;
          btn.textContent = btn.getAttribute("data-copied") || "Copied";
          btn.classList.add("copied");
          setTimeout(function () { btn.textContent = label; btn.classList.remove("copied"); }, 2000);
        }, fallback);
    }
  });

  function updateCount(form) {
    var out = form.querySelector("[data-selected-count]");
    if (!out) return;
    var n = form.querySelectorAll("input[name=ids]:checked").length;
    out.textContent = n > 0 ? out.getAttribute("data-template").replace("#", String(n)) : "";
  }

  document.addEventListener("change", function (ev) {
    var el = ev.target;
    if (el.hasAttribute("data-select-all")) {
      var name = el.getAttribute("data-select-all");
      el.form.querySelectorAll("input[name=" + name + "]").forEach(function (box) { box.checked = el.checked; });
      updateCount(el.form);
      return;
    }
    if (el.name === "ids" && el.form) {
      var all = el.form.querySelector("[data-select-all]");
      if (all) {
        var boxes = el.form.querySelectorAll("input[name=ids]");
        var checked = el.form.querySelectorAll("input[name=ids]:checked");
        all.checked = boxes.length > 0 && boxes.length === checked.length;
        all.indeterminate = checked.length > 0 && checked.length < boxes.length;
      }
      updateCount(el.form);
      return;
    }
    if (el.hasAttribute("data-autosubmit")) {
      el.form.submit();
      return;
    }
    if (el.hasAttribute("data-filters")) {
      filterMemberships(el);
      return;
    }
    if (el.id) {
      document.querySelectorAll("[data-presets='" + el.id + "']").forEach(markPreset);
    }
  });

  // Create token: the quick choices beside the date show which one the date is.
  function markPreset(group) {
    var date = document.getElementById(group.getAttribute("data-presets"));
    group.querySelectorAll("[data-preset-date]").forEach(function (b) {
      b.setAttribute("aria-pressed", String(!!date && b.getAttribute("data-preset-date") === date.value));
    });
  }

  // Create token: offer only the chosen user's memberships.
  function filterMemberships(userSelect) {
    var target = document.getElementById(userSelect.getAttribute("data-filters"));
    if (!target) return;
    var owner = userSelect.value;
    var keep = false;
    target.querySelectorAll("optgroup").forEach(function (group) {
      var mine = group.getAttribute("data-owner") === owner;
      group.hidden = !mine;
      group.disabled = !mine;
      group.querySelectorAll("option").forEach(function (o) { if (o.selected && mine) keep = true; });
    });
    if (!keep) {
      // Select the option itself: each owner's options have values of their own, and
      // picking the element (not a value) cannot land on a hidden one.
      target.value = "";
      var first = target.querySelector("optgroup:not([hidden]) option");
      if (first) { first.selected = true; }
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-filters]").forEach(filterMemberships);
    // The quick choices need this script, so they are shown only when it runs.
    document.querySelectorAll("[data-presets]").forEach(function (g) { g.hidden = false; markPreset(g); });
    document.querySelectorAll("form").forEach(updateCount);
    document.querySelectorAll(".lang-form noscript").forEach(function (n) { n.remove(); });
    localTimes();
  });

  // Moments marked `data-local` are written by the server in UTC; here they are shown in
  // the reader's own time zone, in the page's language. The ISO form stays in the title.
  function localTimes() {
    if (!window.Intl || !Intl.DateTimeFormat) return;
    var lang = document.documentElement.lang || "en";
    var fmt;
    try {
      fmt = new Intl.DateTimeFormat(lang, {
        year: "numeric", month: "short", day: "numeric",
        hour: "2-digit", minute: "2-digit", timeZoneName: "short"
      });
    } catch (e) { return; }
    var zone = fmt.resolvedOptions().timeZone || "";
    document.querySelectorAll("time[data-local]").forEach(function (el) {
      var at = new Date(el.getAttribute("datetime"));
      if (!isNaN(at.getTime())) {
        el.textContent = fmt.format(at);
        el.setAttribute("data-zone", zone);
      }
    });
  }
})();
