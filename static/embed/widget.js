// The widget inside its frame: report its height to the page around it, keep the count fresh
// while it can be seen, and credit the host site in the Sign link. It works without this.
(function () {
  "use strict";
  var root = document.querySelector("[data-count-url]");
  if (!root) return;
  var REFRESH_MS = 60000;
  var locale = document.documentElement.lang || "en";
  var number = root.querySelector("[data-count]");
  var label = root.querySelector("[data-count-label]");
  var bar = root.querySelector("progress");
  var sign = root.querySelector("[data-sign]");
  // WordPress frames oEmbed content with a secret in the fragment and listens for its own messages.
  var secret = (/[#&?]secret=([A-Za-z0-9]+)/.exec(location.hash) || [])[1];
  var lastRefresh = Date.now();

  function tell(message) {
    if (window.parent !== window) window.parent.postMessage(message, "*");
  }

  function reportHeight() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    tell({ type: "groundswell:height", height: height, title: document.title });
    if (secret) tell({ message: "height", value: height, secret: secret });
  }

  function host() {
    try {
      var ancestors = window.location.ancestorOrigins;
      return new URL(ancestors && ancestors.length ? ancestors[0] : document.referrer).hostname;
    } catch (error) {
      return "";
    }
  }

  function creditHost() {
    var name = host();
    if (!sign || !name || !window.URL) return;
    var url = new URL(sign.href);
    url.searchParams.set("source", "embed:" + name);
    sign.href = url.href;
  }

  function formatted(n) {
    return window.Intl ? new Intl.NumberFormat(locale).format(n) : String(n);
  }

  function show(data) {
    if (typeof data.signature_count !== "number" || typeof data.goal !== "number") return;
    number.textContent = formatted(data.signature_count);
    var one = window.Intl && Intl.PluralRules && new Intl.PluralRules(locale).select(data.signature_count) === "one";
    label.textContent = label.getAttribute(one ? "data-one" : "data-other");
    if (bar && data.goal > 0) {
      bar.max = data.goal;
      bar.value = Math.min(data.signature_count, data.goal);
      bar.textContent = Math.round((100 * data.signature_count) / data.goal) + "%";
    }
  }

  function refresh() {
    lastRefresh = Date.now();
    if (!window.fetch) return;
    fetch(root.getAttribute("data-count-url"), { credentials: "omit" })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        if (data) show(data);
      })
      .catch(function () {
        // Offline or down: keep showing the last count.
      });
  }

  // Opening a new tab is what the Sign link does; where a sandbox forbids it (WordPress), ask
  // the page around us to follow the link instead.
  if (sign && secret) {
    sign.addEventListener("click", function (event) {
      var opened = window.open(sign.href, "_blank");
      if (opened) opened.opener = null;
      else tell({ message: "link", value: sign.href, secret: secret });
      event.preventDefault();
    });
  }

  creditHost();
  reportHeight();
  window.addEventListener("load", reportHeight);
  if (window.ResizeObserver) new ResizeObserver(reportHeight).observe(document.documentElement);
  else window.addEventListener("resize", reportHeight);

  setInterval(function () {
    if (document.visibilityState !== "hidden") refresh();
  }, REFRESH_MS);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && Date.now() - lastRefresh >= REFRESH_MS) refresh();
  });
})();
