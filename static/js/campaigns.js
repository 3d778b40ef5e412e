/* Campaign pages: channel boxes, variables and emoji, the character / part counter (GSM-7 or UCS-2, a variable
   counts as ten characters), the phone preview, recipients source boxes and pie charts, schedule summary,
   cascade order by drag and drop (SMS stays last), and confirmations. */
(function () {
  "use strict";

  var GSM = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var GSM_EXT = "\f^{}\\[~]|€";

  function parts(channel, text) {
    var estimate = text.replace(/\{[A-Za-z0-9_]+\}/g, "xxxxxxxxxx");
    if (channel !== "sms") return { parts: 1, chars: estimate.length, encoding: "" };
    var gsm = true, units = 0;
    for (var i = 0; i < estimate.length; i++) {
      var ch = estimate[i];
      if (GSM.indexOf(ch) >= 0) units += 1;
      else if (GSM_EXT.indexOf(ch) >= 0) units += 2;
      else { gsm = false; break; }
    }
    if (!gsm) units = estimate.length;
    var single = gsm ? 160 : 70, multi = gsm ? 153 : 67;
    var count = units <= single ? 1 : Math.ceil(units / multi);
    return { parts: Math.max(count, 1), chars: units, encoding: gsm ? "GSM-7" : "UCS-2" };
  }

  function counter(box) {
    var field = document.getElementById(box.getAttribute("data-counter-for"));
    if (!field) return;
    var update = function () {
      var result = parts(box.getAttribute("data-channel"), field.value);
      box.textContent = (box.getAttribute("data-label-chars") || "") + ": " + result.chars + " · " +
        (box.getAttribute("data-label-parts") || "") + ": " + result.parts + (result.encoding ? " · " + result.encoding : "");
      box.setAttribute("data-parts", result.parts);
    };
    field.addEventListener("input", update);
    update();
  }
  document.querySelectorAll("[data-counter-for]").forEach(counter);

  function insertAt(field, text) {
    var start = field.selectionStart || field.value.length, end = field.selectionEnd || start;
    field.value = field.value.slice(0, start) + text + field.value.slice(end);
    field.focus();
    field.dispatchEvent(new Event("input", { bubbles: true }));
  }
  document.addEventListener("click", function (event) {
    var insert = event.target.closest("[data-insert]");
    if (insert) insertAt(document.getElementById(insert.getAttribute("data-target")), insert.getAttribute("data-insert"));
    var wrap = event.target.closest("[data-wrap]");
    if (wrap) {
      var field = document.getElementById(wrap.getAttribute("data-target"));
      var mark = wrap.getAttribute("data-wrap");
      var s = field.selectionStart, e = field.selectionEnd;
      field.value = field.value.slice(0, s) + mark + field.value.slice(s, e) + mark + field.value.slice(e);
      field.dispatchEvent(new Event("input", { bubbles: true }));
    }
    var add = event.target.closest("[data-add-button]");
    if (add) {
      var rows = document.querySelectorAll("[data-button-row]");
      if (rows.length < 10) {
        var copy = rows[rows.length - 1].cloneNode(true);
        copy.querySelectorAll("input").forEach(function (input) { input.value = ""; });
        rows[rows.length - 1].after(copy);
      }
    }
  });

  /* Setup: show the boxes of the chosen channels, fill from templates, keep the preview current. */
  var templates = {};
  var data = document.getElementById("template-data");
  if (data) templates = JSON.parse(data.textContent);
  function channelBoxes() {
    var chosen = [];
    document.querySelectorAll("input[name=channels]").forEach(function (box) { if (box.checked) chosen.push(box.value); });
    document.querySelectorAll("[data-channel-box]").forEach(function (box) {
      box.hidden = chosen.indexOf(box.getAttribute("data-channel-box")) < 0;
    });
    document.querySelectorAll("[data-preview]").forEach(function (box) {
      box.hidden = chosen.length > 0 && chosen.indexOf(box.getAttribute("data-preview")) < 0;
    });
  }
  document.querySelectorAll("input[name=channels]").forEach(function (box) { box.addEventListener("change", channelBoxes); });
  if (document.querySelector("input[name=channels]")) channelBoxes();

  function preview() {
    ["sms", "viber", "whatsapp"].forEach(function (channel) {
      var target = document.querySelector("[data-preview-text=" + channel + "]");
      if (!target) return;
      var text = document.getElementById("id_" + channel + "_text") || document.getElementById("id_text");
      var template = document.getElementById("id_" + channel + "_template");
      var value = text ? text.value : "";
      if (channel === "whatsapp" && template && templates[template.value]) value = templates[template.value].text;
      target.textContent = value;
      var sender = document.getElementById("id_" + channel + "_sender");
      var label = document.querySelector("[data-preview-sender=" + channel + "]");
      if (sender && label) label.textContent = sender.value ? "· " + sender.value : "";
    });
    var image = document.getElementById("id_viber_image_url") || document.getElementById("id_image_url");
    var img = document.querySelector("[data-preview-image=viber]");
    if (image && img) { img.hidden = !image.value; img.src = image.value || ""; }
    var caption = document.getElementById("id_viber_button_caption") || document.getElementById("id_button_caption");
    var button = document.querySelector("[data-preview-button=viber]");
    if (caption && button) { button.hidden = !caption.value; button.textContent = caption.value; }
  }
  document.addEventListener("input", preview);
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select.id && /_template$/.test(select.id) && templates[select.value]) {
      var channel = select.id.replace(/^id_/, "").replace(/_template$/, "");
      var item = templates[select.value];
      var text = document.getElementById("id_" + channel + "_text");
      if (text && item.text) { text.value = item.text; text.dispatchEvent(new Event("input", { bubbles: true })); }
      var sender = document.getElementById("id_" + channel + "_sender");
      if (sender && item.sender) sender.value = item.sender;
      ["image_url", "button_caption", "button_url"].forEach(function (name) {
        var field = document.getElementById("id_" + channel + "_" + name);
        if (field && item[name]) field.value = item[name];
      });
    }
    preview();
  });
  preview();

  /* Template form: the fields of the chosen channel only. */
  var channelSelect = document.querySelector("[data-template-channel] #id_channel");
  function templateFields() {
    document.querySelectorAll("[data-for-channel]").forEach(function (box) {
      box.hidden = box.getAttribute("data-for-channel").split(" ").indexOf(channelSelect.value) < 0;
    });
    var counterBox = document.querySelector("[data-counter-for=id_text]");
    if (counterBox) { counterBox.setAttribute("data-channel", channelSelect.value); }
  }
  if (channelSelect) { channelSelect.addEventListener("change", templateFields); templateFields(); }

  /* Recipients: one source box at a time, "All" groups, pie charts. */
  function sourceBoxes() {
    var checked = document.querySelector("input[name=source]:checked");
    var source = checked ? checked.value : "groups";
    document.querySelectorAll("[data-source-box]").forEach(function (box) {
      box.hidden = box.getAttribute("data-source-box") !== source;
    });
  }
  document.querySelectorAll("input[name=source]").forEach(function (radio) { radio.addEventListener("change", sourceBoxes); });
  if (document.querySelector("input[name=source]")) sourceBoxes();
  var all = document.querySelector("[data-select-all=groups]");
  if (all) all.addEventListener("change", function () {
    document.querySelectorAll("input[name=groups]").forEach(function (box) { box.checked = all.checked; });
  });
  function pie(canvasId, dataId) {
    var canvas = document.getElementById(canvasId), source = document.getElementById(dataId);
    if (!canvas || !source || typeof Chart === "undefined") return;
    var chart = JSON.parse(source.textContent);
    if (!chart || !chart.values || !chart.values.length) return;
    new Chart(canvas, { type: "pie", data: { labels: chart.labels, datasets: [{ data: chart.values }] },
      options: { plugins: { legend: { position: "bottom" } } } });
  }
  pie("group-chart", "group-chart-data");
  pie("source-chart", "source-chart-data");

  /* Complete & Send: schedule box and summary, cascade order. */
  function scheduleBox() {
    var checked = document.querySelector("input[name=when]:checked");
    var box = document.querySelector("[data-schedule-box]");
    if (box) box.hidden = !checked || checked.value !== "schedule";
    var date = document.getElementById("id_date"), time = document.getElementById("id_time");
    var zone = document.getElementById("id_time_zone");
    var local = document.querySelector("[data-local-time]"), utc = document.querySelector("[data-utc-time]");
    if (!date || !time || !local || !date.value || !time.value) return;
    local.textContent = date.value + " " + time.value + " (" + zone.value + ")";
    try {
      var guess = new Date(date.value + "T" + time.value + ":00Z");
      var inZone = new Date(guess.toLocaleString("en-US", { timeZone: zone.value }));
      var asUtc = new Date(guess.toLocaleString("en-US", { timeZone: "UTC" }));
      var shifted = new Date(guess.getTime() - (inZone.getTime() - asUtc.getTime()));
      utc.textContent = shifted.toISOString().replace("T", " ").slice(0, 16);
    } catch (error) { utc.textContent = "—"; }
  }
  document.querySelectorAll("input[name=when], #id_date, #id_time, #id_time_zone").forEach(function (field) {
    field.addEventListener("change", scheduleBox);
  });
  scheduleBox();
  var cascade = document.querySelector("[data-cascade]");
  var order = document.getElementById("id_order");
  function saveOrder() {
    if (!cascade || !order) return;
    var channels = [];
    cascade.querySelectorAll("[data-channel]").forEach(function (item) { channels.push(item.getAttribute("data-channel")); });
    order.value = channels.join(",");
  }
  if (cascade && typeof Sortable !== "undefined") {
    Sortable.create(cascade, { draggable: ".cascade-movable", onEnd: saveOrder });
    saveOrder();
  }

  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-confirm-click]");
    if (button && !window.confirm(button.getAttribute("data-confirm-click"))) event.preventDefault();
  });
})();
