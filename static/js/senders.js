/* Sender ID pages: show the WhatsApp profile fields only for WhatsApp, and confirm destructive buttons. */
(function () {
  "use strict";

  function toggleWhatsApp(select) {
    var box = document.getElementById(select.getAttribute("data-whatsapp-toggle"));
    if (!box) return;
    var show = select.value === "whatsapp";
    box.hidden = !show;
    box.querySelectorAll("input, textarea, select").forEach(function (field) {
      field.disabled = !show;
    });
  }

  document.querySelectorAll("[data-whatsapp-toggle]").forEach(function (select) {
    select.addEventListener("change", function () { toggleWhatsApp(select); });
    toggleWhatsApp(select);
  });

  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });
})();
