/* Questionnaire forms (the vendor's /respond/<link> page and the internal /responses/<id> form):
   follow-up questions appear and disappear as answers change, by the same rule the server applies
   on each save (QUESTIONNAIRES.md, show_if): a question with data-show-if="<question id>" and
   data-show-if-in="<answer> <answer>…" is shown while that question's answer (not N/A) is one of
   those answers. A hidden question's fieldset is disabled too, so it posts nothing, exactly as when
   the server hides it. Without this script the form works the same; the server decides on save. */
(function () {
  "use strict";

  function chosen(form, questionId) {
    var na = form.querySelector('input[name="na:' + questionId.replace(/"/g, "") + '"]');
    if (na && na.checked) {
      return [];
    }
    var values = [];
    var inputs = form.querySelectorAll('[name="value:' + questionId.replace(/"/g, "") + '"]');
    Array.prototype.forEach.call(inputs, function (input) {
      if (input.type === "radio" || input.type === "checkbox") {
        if (input.checked && input.value !== "") {
          values.push(input.value);
        }
      } else if (input.value.trim() !== "") {
        values.push(input.value.trim());
      }
    });
    return values;
  }

  function announce(form, text) {
    var region = form.querySelector("[data-show-if-status]");
    if (region) {
      region.textContent = text;
    }
  }

  function update(form, quiet) {
    var shown = [];
    var followUps = form.querySelectorAll("fieldset[data-show-if][data-live]");
    Array.prototype.forEach.call(followUps, function (fieldset) {
      var wanted = (fieldset.getAttribute("data-show-if-in") || "").split(" ");
      var answers = chosen(form, fieldset.getAttribute("data-show-if"));
      var visible = answers.some(function (value) { return wanted.indexOf(value) !== -1; });
      if (visible && fieldset.hidden) {
        var legend = fieldset.querySelector("legend");
        shown.push(legend ? legend.textContent.trim() : "");
      }
      // A question with a problem listed above the form stays, as the server keeps it.
      if (!visible && fieldset.classList.contains("has-error")) {
        visible = true;
      }
      fieldset.hidden = !visible;
      fieldset.disabled = !visible;
    });
    Array.prototype.forEach.call(form.querySelectorAll("section.respond-section"), function (section) {
      section.hidden = !section.querySelector("fieldset.question:not([hidden])");
    });
    if (!quiet && shown.length) {
      announce(form, "New question" + (shown.length > 1 ? "s" : "") + ": " + shown.join("; "));
    }
  }

  function init(form) {
    if (!form.querySelector("fieldset[data-show-if][data-live]")) {
      return;
    }
    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("aria-live", "polite");
    status.setAttribute("data-show-if-status", "");
    form.appendChild(status);
    Array.prototype.forEach.call(document.querySelectorAll("[data-live-note]"), function (note) {
      note.textContent = note.getAttribute("data-live-note");
    });
    form.addEventListener("change", function () { update(form, false); });
    form.addEventListener("input", function () { update(form, false); });
    update(form, true);
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("form.respond-form"), init);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
