/* Contacts pages: row selection and mass actions, row actions, table settings (drag and drop), the field
   variable preview, sender ID choices, the import drop zone and small form helpers. No framework. */
(function () {
  "use strict";

  // Selection -----------------------------------------------------------------------------------------------
  var table = document.querySelector("[data-selectable]");
  var bar = document.querySelector("[data-testid=bulk-bar]");
  var selectAllButton = document.querySelector("[data-select-all]");
  var total = parseInt((document.querySelector("[data-total]") || {}).dataset ? document.querySelector("[data-total]").dataset.total : "0", 10) || 0;
  var allSelected = false;

  function boxes() {
    return table ? Array.prototype.slice.call(table.querySelectorAll("input[data-select]")) : [];
  }

  function checkedIds() {
    return boxes().filter(function (box) { return box.checked; }).map(function (box) { return box.value; });
  }

  function refresh() {
    if (!bar) return;
    var ids = checkedIds();
    var count = allSelected ? total : ids.length;
    bar.classList.toggle("d-none", count === 0);
    bar.querySelector("[data-selected-count]").textContent = String(count);
    var pageBox = table && table.querySelector("[data-select-page]");
    var every = boxes().length > 0 && ids.length === boxes().length;
    if (pageBox) pageBox.checked = every;
    if (selectAllButton) selectAllButton.hidden = allSelected || !every || total <= boxes().length;
  }

  if (table) {
    table.addEventListener("change", function (event) {
      var target = event.target;
      if (target.matches("[data-select-page]")) {
        boxes().forEach(function (box) { box.checked = target.checked; });
      }
      if (!target.checked) allSelected = false;
      refresh();
    });
  }
  if (selectAllButton) {
    selectAllButton.addEventListener("click", function () {
      allSelected = true;
      refresh();
    });
  }

  // Mass-action forms take the selection when they are submitted; a row action takes its own row.
  function fillSelection(form, rowId) {
    var ids = form.querySelector("input[name=ids]");
    var all = form.querySelector("input[name=select_all]");
    if (!ids || !all) return;
    if (rowId) {
      ids.value = rowId;
      all.value = "0";
    } else {
      ids.value = checkedIds().join(",");
      all.value = allSelected ? "1" : "0";
    }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    if (form.hasAttribute("data-bulk")) fillSelection(form, form.dataset.rowId || "");
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-row-submit], [data-bulk-submit]");
    if (!button) return;
    var form = document.getElementById(button.getAttribute("data-row-submit") || button.getAttribute("data-bulk-submit"));
    if (!form) return;
    form.dataset.rowId = button.getAttribute("data-row-id") || "";
    fillSelection(form, form.dataset.rowId);
    form.submit();
  });

  // A window opened from a row works on that row; options narrow to what the row has (its groups, its blocks).
  document.addEventListener("show.bs.modal", function (event) {
    var modal = event.target;
    var form = modal.querySelector("form[data-bulk]");
    if (!form) return;
    var trigger = event.relatedTarget;
    var rowId = trigger && trigger.getAttribute("data-row-id");
    form.dataset.rowId = rowId || "";
    var row = rowId ? document.querySelector("tr[data-id='" + rowId + "']") : null;
    var groupSelect = form.querySelector("[data-row-groups-only]");
    if (groupSelect) {
      var groups = row ? (row.dataset.groups || "").split(",") : null;
      Array.prototype.forEach.call(groupSelect.options, function (option) {
        option.hidden = Boolean(groups && option.value && groups.indexOf(option.value) === -1);
      });
      groupSelect.value = "";
    }
    var blocked = row && row.dataset.blocked !== undefined ? row.dataset.blocked.split(",") : null;
    form.querySelectorAll("[data-sender-option]").forEach(function (option) {
      option.hidden = Boolean(blocked && blocked.indexOf(option.getAttribute("data-sender-option")) === -1);
      option.querySelector("input").checked = false;
    });
    var allBox = form.querySelector("[data-all-senders]");
    if (allBox) {
      allBox.checked = false;
      toggleAllSenders(allBox);
    }
  });

  function toggleAllSenders(box) {
    var list = box.closest("form").querySelector("[data-sender-list]");
    if (!list) return;
    list.querySelectorAll("input").forEach(function (input) { input.disabled = box.checked; });
    list.classList.toggle("opacity-50", box.checked);
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-all-senders]")) toggleAllSenders(event.target);
    if (event.target.matches("[data-autosubmit]")) event.target.form.submit();
  });

  // Table settings ------------------------------------------------------------------------------------------
  document.querySelectorAll("[data-sortable]").forEach(function (list) {
    if (window.Sortable) window.Sortable.create(list, { handle: ".drag-handle", animation: 150 });
  });

  var variableSources = document.querySelectorAll("[data-variable-source]");
  variableSources.forEach(function (input) {
    var target = document.getElementById(input.getAttribute("data-variable-source"));
    function update() {
      var variable = input.value.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, "");
      target.value = variable ? "{" + variable + "}" : "";
    }
    input.addEventListener("input", update);
    update();
  });

  document.querySelectorAll("[data-list-options]").forEach(function (select) {
    var box = document.getElementById(select.getAttribute("data-list-options"));
    function update() { box.hidden = select.value !== "list"; }
    select.addEventListener("change", update);
    update();
  });

  if (window.location.hash === "#table-settings" && window.bootstrap) {
    var settings = document.getElementById("table-settings");
    if (settings) window.bootstrap.Modal.getOrCreateInstance(settings).show();
  }

  // Import: drop zone and the stop-list choice ------------------------------------------------------------------
  document.querySelectorAll("[data-dropzone]").forEach(function (zone) {
    var input = zone.querySelector("input[type=file]");
    var name = zone.querySelector("[data-file-name]");
    function show() {
      if (name) name.textContent = input.files.length ? input.files[0].name : "";
    }
    ["dragenter", "dragover"].forEach(function (type) {
      zone.addEventListener(type, function (event) {
        event.preventDefault();
        zone.classList.add("border-primary");
      });
    });
    ["dragleave", "drop"].forEach(function (type) {
      zone.addEventListener(type, function (event) {
        event.preventDefault();
        zone.classList.remove("border-primary");
      });
    });
    zone.addEventListener("drop", function (event) {
      if (event.dataTransfer && event.dataTransfer.files.length) {
        input.files = event.dataTransfer.files;
        show();
      }
    });
    input.addEventListener("change", show);
    show();  /* a file chosen before this script ran */
  });

  document.querySelectorAll("[data-stop-action]").forEach(function (group) {
    var box = document.getElementById(group.getAttribute("data-stop-action"));
    function update() {
      var chosen = group.querySelector("input:checked");
      box.hidden = !chosen || chosen.value === "exclude";
    }
    group.addEventListener("change", update);
    update();
  });
  document.querySelectorAll("[data-all-senders]").forEach(toggleAllSenders);

  refresh();
})();
