// Progressive enhancements only: every page works without this file.
(function () {
  "use strict";

  // "Copy link" buttons: shown only when the browser can copy.
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    if (!navigator.clipboard) return;
    var input = document.getElementById(button.getAttribute("data-copy"));
    var status = document.querySelector('[data-copied="' + button.getAttribute("data-copy") + '"]');
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(input.value).then(function () {
        if (status) status.textContent = status.getAttribute("data-message");
      }, function () {
        input.select();
      });
    });
  });

  // City suggestions as the supporter types: a <datalist> filled from /api/v1/cities. Without
  // this script (or when the request fails) the plain text field works the same.
  document.querySelectorAll("input[data-suggest]").forEach(function (input) {
    if (!window.fetch) return;
    var list = document.createElement("datalist");
    list.id = input.id + "-suggestions";
    input.after(list);
    input.setAttribute("list", list.id);
    var country = input.form && input.form.elements.country;
    var timer, asked = "";
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var typed = input.value.trim();
        var code = country ? country.value : input.getAttribute("data-country") || "";
        if (typed.length < 2 || typed + code === asked) return;
        asked = typed + code;
        var url = input.getAttribute("data-suggest") + "?q=" + encodeURIComponent(typed) +
          (code ? "&country=" + encodeURIComponent(code) : "");
        fetch(url, { headers: { Accept: "application/json" } }).then(function (response) {
          return response.ok ? response.json() : { cities: [] };
        }).then(function (answer) {
          list.replaceChildren.apply(list, answer.cities.map(function (city) {
            var option = document.createElement("option");
            option.value = city.region && /^[A-Za-z]+$/.test(city.region) ? city.name + ", " + city.region : city.name;
            return option;
          }));
        }).catch(function () {});
      }, 200);
    });
  });

  // Move focus to the error summary so that keyboard and screen reader users hear it first.
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.setAttribute("tabindex", "-1");
    summary.focus();
  }
})();
