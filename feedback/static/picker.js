/* Locality picker for the resident's form: progressive enhancement only.

   Without this file the form works with two plain selects and a "Chọn thôn/khu phố" button that
   asks the server for the villages of the chosen commune. With it:
   - a search box above the commune list finds communes and villages by name, ignoring
     diacritics ("ha long" finds "Hạ Long"; the server folds names, /localities/search.json);
   - choosing a commune loads its villages at once (/localities/<code>/villages.json), so the
     button is hidden;
   - a filter box narrows the village list, also without regard to diacritics.
   All visible text comes from data-* attributes rendered (and translated) by the server. */
(function () {
  "use strict";

  var form = document.querySelector("form.submit-form");
  if (!form || !window.fetch || !document.createElement("input").classList) { return; }
  var commune = form.querySelector("#commune");
  var village = form.querySelector("#village");
  if (!commune || !village) { return; }
  var text = form.dataset;
  var villagesUrl = text.villagesUrl || "";
  var searchUrl = text.searchUrl || "";

  function fold(value) {
    return value.normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .replace(/[đĐðÐ]/g, "d").toLowerCase().replace(/\s+/g, " ").trim();
  }

  function matches(query, folded) {
    return fold(query).split(" ").every(function (word) { return folded.indexOf(word) !== -1; });
  }

  function el(tag, attributes, content) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    if (content) { node.textContent = content; }
    return node;
  }

  function getJson(url) {
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      });
  }

  // --- villages of the chosen commune --------------------------------------------------------
  var placeholder = village.options.length ? village.options[0].textContent : "";
  var villageList = [];
  var stepButton = form.querySelector(".village-step");
  var stepHint = form.querySelector(".village-step-hint");

  function showStepButton(show) {
    [stepButton, stepHint].forEach(function (node) {
      if (node) { node.classList.toggle("js-hidden", !show); }
    });
  }

  function fillVillages(list, selected) {
    village.textContent = "";
    village.appendChild(el("option", { value: "" }, placeholder));
    list.forEach(function (item) {
      var option = el("option", { value: item.code }, item.name);
      if (item.code === selected) { option.selected = true; }
      village.appendChild(option);
    });
  }

  function loadVillages(selected) {
    var code = commune.value;
    villageFilter.value = "";
    if (!code) { villageList = []; fillVillages([], ""); return Promise.resolve(); }
    return getJson(villagesUrl.replace("__CODE__", encodeURIComponent(code)))
      .then(function (data) {
        villageList = data.villages || [];
        fillVillages(villageList, selected || "");
        showStepButton(false);
      })
      .catch(function () { showStepButton(true); });  // fall back to the server round trip
  }

  var villageFilter = el("input", {
    type: "search", id: "village-filter", "class": "picker-search", autocomplete: "off",
    "aria-label": text.villageFilterLabel || "", placeholder: text.villageFilterPlaceholder || ""
  });
  village.parentNode.insertBefore(villageFilter, village);
  villageFilter.addEventListener("input", function () {
    var chosen = village.value;
    var query = villageFilter.value;
    fillVillages(villageList.filter(function (item) { return matches(query, item.folded || fold(item.name)); }), chosen);
  });

  commune.addEventListener("change", function () { loadVillages(""); });

  // --- search across communes and villages ---------------------------------------------------
  var searchLabelId = "locality-search-label";
  var search = el("input", {
    type: "search", id: "locality-search", "class": "picker-search", autocomplete: "off",
    "aria-describedby": "locality-search-status", placeholder: text.searchPlaceholder || ""
  });
  var label = el("label", { "for": "locality-search", id: searchLabelId, "class": "label" }, text.searchLabel || "");
  var results = el("ul", { "class": "picker-results", id: "locality-results" });
  var status = el("p", { "class": "hint", id: "locality-search-status", role: "status", "aria-live": "polite" });
  var anchor = commune.closest(".field");
  anchor.insertBefore(label, anchor.firstChild);
  label.insertAdjacentElement("afterend", search);
  search.insertAdjacentElement("afterend", results);
  results.insertAdjacentElement("afterend", status);

  var timer = null;
  var latest = 0;

  function choose(item) {
    var communeCode = item.level === "village" ? item.commune_code : item.code;
    commune.value = communeCode;
    results.textContent = "";
    status.textContent = "";
    search.value = "";
    loadVillages(item.level === "village" ? item.code : "").then(function () {
      (item.level === "village" ? village : commune).focus();
    });
  }

  function showResults(list) {
    results.textContent = "";
    list.forEach(function (item) {
      var button = el("button", { type: "button" }, item.name);
      if (item.commune_name) { button.appendChild(el("span", { "class": "muted" }, item.commune_name)); }
      button.addEventListener("click", function () { choose(item); });
      var row = el("li");
      row.appendChild(button);
      results.appendChild(row);
    });
    status.textContent = list.length ? (text.resultsCount || "").replace("{count}", String(list.length))
                                     : (text.noResults || "");
  }

  search.addEventListener("input", function () {
    window.clearTimeout(timer);
    var query = search.value.trim();
    if (query.length < 2) { results.textContent = ""; status.textContent = ""; return; }
    timer = window.setTimeout(function () {
      var ticket = ++latest;
      getJson(searchUrl + "?q=" + encodeURIComponent(query))
        .then(function (data) { if (ticket === latest) { showResults(data.results || []); } })
        .catch(function () { status.textContent = ""; });
    }, 250);
  });
  // Enter in the search box must not send the whole form.
  search.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      event.preventDefault();
      var first = results.querySelector("button");
      if (first) { first.focus(); }
    }
  });

  // Start: villages of a commune chosen before (a re-rendered form keeps its choice).
  if (commune.value) {
    loadVillages(village.value);
  } else {
    showStepButton(false);
  }
})();
