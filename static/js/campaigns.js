/* Campaign pages: channel boxes, variables and emoji, the character / part counter (GSM-7 or UCS-2, a variable
   counts as ten characters), the phone preview, recipients source boxes and pie charts, schedule summary,
   cascade order by drag and drop (SMS stays last), and confirmations. */
(function () {
  "use strict";

  var GSM = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var GSM_EXT = "\f^{}\\[~]|€";

  var VARIABLE = /\{([A-Za-z0-9_]+)(?:\|([^{}|\n]{1,20}))?\}/g;

  /* The short link chosen on Setup: the campaign's first link in the SMS (else Viber) text is sent as it. */
  var shortLinks = { domains: {}, current: null };
  var shortData = document.getElementById("short-link-data");
  if (shortData) shortLinks = JSON.parse(shortData.textContent) || shortLinks;
  function findLink(text) {
    var match = /https?:\/\/[^\s<>"']+/.exec(text || "");
    return match ? match[0].replace(/[.,;:!?)]+$/, "") : null;
  }
  function campaignLink() {
    var single = document.getElementById("id_text"), kind = document.getElementById("id_channel");
    if (single) return kind && kind.value === "whatsapp" ? null : findLink(single.value);
    var sms = document.getElementById("id_sms_text"), viber = document.getElementById("id_viber_text");
    var chosen = function (channel) {
      var box = document.querySelector("input[name=channels][value=" + channel + "]");
      return !box || box.checked;
    };
    return (sms && chosen("sms") && findLink(sms.value)) || (viber && chosen("viber") && findLink(viber.value)) || null;
  }
  function shortUrl(original) {
    var select = document.getElementById("id_short_domain");
    if (!select || !select.value || !shortLinks.domains[select.value]) return null;
    var current = shortLinks.current;
    if (current && current.domain === select.value && current.original === original) return current.url;
    return "https://" + shortLinks.domains[select.value] + "/\u2022\u2022\u2022\u2022\u2022";
  }
  /* The short link the URL button of the chosen WhatsApp template holds: every channel sends it, nothing else is
     shortened. */
  function whatsappShortLink() {
    var select = document.getElementById("id_whatsapp_template");
    var box = document.querySelector("input[name=channels][value=whatsapp]");
    if (!select || !box || !box.checked) return null;
    var item = templates && templates[select.value];  /* the counters ask before the template data is read */
    return (item && item.short_link) || null;
  }
  function withShortLink(text) {
    var fixed = whatsappShortLink();
    if (fixed) return text.split(fixed.original).join(fixed.url);
    var original = campaignLink();
    var short = original && shortUrl(original);
    return short ? text.split(original).join(short) : text;
  }

  /* Date variables: {dateofbirth|DD.MM.YYYY}; the preview shows today's date in the chosen format. */
  function formatDate(marker, day) {
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    var known = /^(DD|MM|YYYY|YY)([./\- ](DD|MM|YYYY|YY))*$/;
    if (!known.test(marker)) return null;
    return marker.replace(/YYYY|YY|DD|MM/g, function (token) {
      if (token === "YYYY") return String(day.getFullYear());
      if (token === "YY") return String(day.getFullYear()).slice(-2);
      if (token === "DD") return pad(day.getDate());
      return pad(day.getMonth() + 1);
    });
  }
  function withSampleDates(text) {
    var today = new Date();
    return text.replace(VARIABLE, function (whole, name, marker) {
      if (!marker) return whole;
      return formatDate(marker, today) || whole;
    });
  }

  function parts(channel, text) {
    var estimate = withShortLink(text).replace(VARIABLE, "xxxxxxxxxx");
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

  function dateNames(target) {
    var names = [];
    document.querySelectorAll("[data-variables-for='" + target + "'] [data-date-variable]").forEach(function (button) {
      names.push(button.getAttribute("data-insert").replace(/[{}]/g, "").toLowerCase());
    });
    return names;
  }
  function currentFormat(target) {
    var label = document.querySelector("[data-date-formats-for='" + target + "'] [data-date-format-current]");
    return label ? label.textContent.trim() : "";
  }
  function applyFormat(target, marker) {
    var field = document.getElementById(target);
    var label = document.querySelector("[data-date-formats-for='" + target + "'] [data-date-format-current]");
    if (label) label.textContent = marker;
    if (!field) return;
    var names = dateNames(target), caret = field.selectionStart || 0, found = null, match;
    var pattern = new RegExp(VARIABLE.source, "g");
    while ((match = pattern.exec(field.value)) !== null) {
      if (names.indexOf(match[1].toLowerCase()) < 0) continue;
      var end = match.index + match[0].length;
      if (!found || (match.index <= caret && caret <= end) || !(found.index <= caret && caret <= found.end)) {
        found = { index: match.index, end: end, name: match[1] };
      }
    }
    if (!found) return;
    var replacement = "{" + found.name + "|" + marker + "}";
    field.value = field.value.slice(0, found.index) + replacement + field.value.slice(found.end);
    field.setSelectionRange(found.index + replacement.length, found.index + replacement.length);
    field.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function insertAt(field, text) {
    var start = field.selectionStart || field.value.length, end = field.selectionEnd || start;
    field.value = field.value.slice(0, start) + text + field.value.slice(end);
    field.focus();
    field.dispatchEvent(new Event("input", { bubbles: true }));
  }
  document.addEventListener("click", function (event) {
    var insert = event.target.closest("[data-insert]");
    if (insert) {
      var value = insert.getAttribute("data-insert"), target = insert.getAttribute("data-target");
      var marker = insert.hasAttribute("data-date-variable") ? currentFormat(target) : "";
      if (marker) value = value.replace(/\}$/, "|" + marker + "}");
      insertAt(document.getElementById(target), value);
    }
    var format = event.target.closest("[data-date-format]");
    if (format) applyFormat(format.getAttribute("data-target"), format.getAttribute("data-date-format"));
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
      if (channel === "whatsapp" && template && templates[template.value]) {
        var params = (document.getElementById("id_whatsapp_params") || { value: "" }).value.split(",");
        value = templates[template.value].text.replace(/\{\{(\d+)\}\}/g, function (whole, number) {
          var param = (params[Number(number) - 1] || "").trim();
          return param || whole;
        });
      }
      target.textContent = withSampleDates(channel === "whatsapp" ? value : withShortLink(value));
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
    whatsappExtras();
    var linkBox = document.querySelector("[data-short-link-box]");
    if (linkBox) {
      var link = campaignLink(), fixed = whatsappShortLink(), domain = document.getElementById("id_short_domain");
      var whatsapp = document.querySelector("input[name=channels][value=whatsapp]");
      linkBox.hidden = !link && !fixed;
      linkBox.querySelector("[data-short-link-original]").textContent = link || "";
      linkBox.querySelector("[data-short-link-fixed]").hidden = !fixed;
      linkBox.querySelector("[data-short-link-fixed-url]").textContent = fixed ? fixed.url : "";
      linkBox.querySelector("[data-short-link-choice]").hidden = !!fixed;
      linkBox.querySelector("[data-short-link-whatsapp-note]").hidden = !!fixed || !whatsapp || !whatsapp.checked;
      if (domain) {
        if (fixed) domain.value = "";
        domain.disabled = !!fixed;
      }
    }
  }

  /* WhatsApp header (text, image, video, document or location), footer and buttons, from the chosen template
     in the wizard or from the fields of the template form. */
  function fieldValue(id) {
    var field = document.getElementById(id);
    return field ? field.value : "";
  }
  function mediaKind(url) {
    var path = (url || "").split(/[?#]/)[0].toLowerCase();
    if (/\.(jpe?g|png|gif|webp|bmp|svg)$/.test(path)) return "image";
    if (/\.(mp4|3gp|3gpp|mov|avi|webm|mkv)$/.test(path)) return "video";
    return "document";
  }
  function whatsappExtras() {
    var header = document.querySelector("[data-preview-header=whatsapp]");
    if (!header) return;
    var item = null, select = document.getElementById("id_whatsapp_template");
    if (select) item = templates[select.value] || {};
    else if (document.getElementById("id_header_type")) {
      var buttons = [];
      document.querySelectorAll("input[name=button_text]").forEach(function (input) { if (input.value.trim()) buttons.push(input.value.trim()); });
      item = { header_type: fieldValue("id_header_type"), header: fieldValue("id_header_text"), header_url: fieldValue("id_header_url"),
               header_location: fieldValue("id_header_location"), footer: fieldValue("id_footer"), buttons: buttons };
    }
    item = item || {};
    var kind = item.header_type === "media" ? (item.header_url ? mediaKind(item.header_url) : "") : item.header_type;
    header.hidden = !kind || (kind === "text" && !item.header);
    header.querySelectorAll("[data-wa-header]").forEach(function (part) { part.hidden = part.getAttribute("data-wa-header") !== kind; });
    var name = decodeURIComponent(((item.header_url || "").split(/[?#]/)[0].split("/").pop()) || "");
    header.querySelectorAll("[data-wa-file-name]").forEach(function (part) { part.textContent = name || item.header_url || ""; });
    var image = header.querySelector("[data-wa-header=image]");
    if (kind === "image") { if (image.getAttribute("src") !== item.header_url) image.src = item.header_url; } else image.removeAttribute("src");
    header.querySelector("[data-wa-location]").textContent = item.header_location || "";
    header.querySelector("[data-wa-header=text]").textContent = item.header || "";
    var footer = document.querySelector("[data-preview-footer=whatsapp]");
    footer.hidden = !item.footer;
    footer.textContent = item.footer || "";
    var list = document.querySelector("[data-preview-buttons=whatsapp]");
    list.replaceChildren();
    var all = item.buttons || [];
    all.slice(0, 3).forEach(function (caption, index) {
      var line = document.createElement("div");
      line.className = "border-top text-center text-primary py-1 mt-1";
      line.textContent = index === 2 && all.length > 3 ? list.getAttribute("data-label-more") : caption;
      list.appendChild(line);
    });
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
      var domain = document.getElementById("id_short_domain");
      if (domain && item.short_domain && domain.querySelector("option[value='" + item.short_domain + "']")) domain.value = item.short_domain;
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
    document.querySelectorAll("[data-preview]").forEach(function (box) {
      box.hidden = box.getAttribute("data-preview") !== channelSelect.value;
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

  /* Campaigns list: Table Settings window, columns ordered by drag and drop. */
  document.querySelectorAll("[data-sortable]").forEach(function (list) {
    if (window.Sortable) window.Sortable.create(list, { handle: ".drag-handle", animation: 150 });
  });

  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-confirm-click]");
    if (button && !window.confirm(button.getAttribute("data-confirm-click"))) event.preventDefault();
  });
})();
