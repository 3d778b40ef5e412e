/* Purchase and Finance pages: details windows loaded by htmx start empty each time; quick filters apply at once. */
(function () {
  "use strict";

  var modal = document.getElementById("billing-modal");
  if (modal) {
    var placeholder = document.getElementById("billing-modal-content").innerHTML;
    modal.addEventListener("hidden.bs.modal", function () {
      document.getElementById("billing-modal-content").innerHTML = placeholder;
    });
  }

  document.querySelectorAll("[data-autosubmit]").forEach(function (field) {
    field.addEventListener("change", function () {
      var more = document.getElementById("more-filters");
      if (field.value === "custom" && more && window.bootstrap) {
        window.bootstrap.Collapse.getOrCreateInstance(more).show();
      } else {
        field.form.requestSubmit();
      }
    });
  });
})();
