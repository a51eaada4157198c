// The add-on request form's gates preview: as the engineer changes the app, plan or data, the form is
// posted to /addon-requests/preview and the answer (an HTML fragment the server escaped) replaces the
// live region. Without JavaScript the "Check gates" button does the same with a full page.
(function () {
  "use strict";
  var form = document.getElementById("addon-request-form");
  var region = document.getElementById("gate-preview");
  if (!form || !region || !window.fetch || !window.FormData) {
    return;
  }
  var url = form.getAttribute("data-preview-url");
  var timer = null;
  var latest = 0;

  function refresh() {
    var body = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (typeof value === "string" && name !== "action") {
        body.append(name, value);
      }
    });
    var ticket = ++latest;
    region.setAttribute("aria-busy", "true");
    fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "Accept": "text/html" },
      redirect: "manual" // a signed-out session answers with a redirect to /login: never show that page here
    }).then(function (response) {
      if (response.type === "opaqueredirect") {
        throw new Error("signed out");
      }
      if (!response.ok) {
        throw new Error("preview " + response.status);
      }
      return response.text();
    }).then(function (html) {
      if (ticket !== latest) {
        return; // an older answer arriving after a newer one
      }
      var doc = new DOMParser().parseFromString("<div>" + html + "</div>", "text/html");
      region.replaceChildren.apply(region, Array.prototype.slice.call(doc.body.firstChild.childNodes));
    }).catch(function () {
      if (ticket === latest) {
        var note = document.createElement("p");
        note.className = "form-error";
        note.textContent = "The gates could not be checked just now (if you were signed out, sign in again); " +
          "use “Check gates”.";
        region.replaceChildren(note);
      }
    }).then(function () {
      if (ticket === latest) {
        region.removeAttribute("aria-busy");
      }
    });
  }

  function soon(delay) {
    if (timer) {
      clearTimeout(timer);
    }
    timer = setTimeout(refresh, delay);
  }

  form.addEventListener("change", function () { soon(50); });
  form.addEventListener("input", function (event) {
    if (event.target && event.target.name === "transfer_countries") {
      soon(500);
    }
  });
}());
