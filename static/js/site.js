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

  // Move focus to the error summary so that keyboard and screen reader users hear it first.
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.setAttribute("tabindex", "-1");
    summary.focus();
  }
})();
