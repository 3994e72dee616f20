// Console behaviour shared by every page: the CSRF header on unsafe requests, login/logout, JSON forms, uploads.
(function () {
  "use strict";
  function cookie(name) {
    var found = document.cookie.split("; ").filter(function (c) { return c.indexOf(name + "=") === 0; })[0];
    return found ? decodeURIComponent(found.slice(name.length + 1)) : "";
  }
  function csrfHeaders(extra) {
    var headers = extra || {};
    headers["X-CSRF-Token"] = cookie("ecomon_csrf");
    return headers;
  }
  function showError(form, text) {
    var el = form.querySelector(".form-error");
    if (el) { el.textContent = text; el.hidden = false; }
  }
  function describe(body, status) {
    if (body && body.error) {
      var detail = body.error.detail;
      var extra = Array.isArray(detail) ? detail.map(function (d) { return (d.loc || []).slice(-1)[0] + ": " + d.msg; }).join("; ")
                : detail ? JSON.stringify(detail) : "";
      return body.error.message + (extra ? " — " + extra : "");
    }
    return "HTTP " + status;
  }
  function changed(el) {
    if (el.tagName === "SELECT") {
      return Array.prototype.some.call(el.options, function (o) { return o.selected !== o.defaultSelected; });
    }
    return el.value !== el.defaultValue;
  }
  // Form fields -> JSON body: empty fields are left out, typed fields converted; an edit (PATCH) sends only
  // the fields the user changed, so the audit trail names exactly what changed.
  function formJson(form, onlyChanged) {
    var body = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.value === "" || el.type === "submit") { return; }
      if (onlyChanged && !changed(el)) { return; }
      var type = el.getAttribute("data-type");
      body[el.name] = type === "int" ? parseInt(el.value, 10) : type === "float" ? parseFloat(el.value) : el.value;
    });
    return body;
  }

  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRF-Token"] = cookie("ecomon_csrf");
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("data-login")) {
      event.preventDefault();
      var messages = JSON.parse(document.getElementById("login-messages").textContent);
      fetch("/api/v1/auth/login", { method: "POST", headers: { "Content-Type": "application/json" },
                                    body: JSON.stringify(formJson(form)), credentials: "same-origin" })
        .then(function (r) {
          if (r.ok) { window.location.href = form.getAttribute("data-next") || "/console"; return null; }
          return r.json().then(function (b) { showError(form, messages[b.error && b.error.code] || messages.other); });
        });
    } else if (form.hasAttribute("data-api")) {
      event.preventDefault();
      var method = form.getAttribute("data-method") || "POST";
      fetch(form.getAttribute("data-api"), {
        method: method, credentials: "same-origin",
        headers: csrfHeaders({ "Content-Type": "application/json" }), body: JSON.stringify(formJson(form, method === "PATCH"))
      }).then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (b) {
          if (!r.ok) { showError(form, describe(b, r.status)); return; }
          var target = form.getAttribute("data-redirect");
          window.location.href = target ? target.replace("{id}", b.id) : window.location.href;
        });
      });
    } else if (form.hasAttribute("data-upload")) {
      event.preventDefault();
      var data = new FormData(form);
      if (form.elements.mapping && !form.elements.mapping.files.length) { data.delete("mapping"); }
      fetch(form.getAttribute("data-upload"), { method: "POST", credentials: "same-origin",
                                                headers: csrfHeaders(), body: data })
        .then(function (r) {
          return r.json().then(function (b) {
            if (!r.ok) { showError(form, describe(b, r.status)); return; }
            window.location.href = "/console/data/import?job=" + encodeURIComponent(b.id);
          });
        });
    }
  });

  document.addEventListener("click", function (event) {
    if (!event.target.hasAttribute("data-logout")) { return; }
    fetch("/api/v1/auth/logout", { method: "POST", credentials: "same-origin", headers: csrfHeaders() })
      .then(function () { window.location.href = "/console/login"; });
  });
})();
