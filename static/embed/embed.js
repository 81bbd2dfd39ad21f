// Groundswell widgets for any page:
//   <div data-petition="SLUG"></div>
//   <script src="https://our.site/embed.js" async></script>
// Optional attributes on the div: data-theme="light|dark", data-lang="en|es", data-compact.
// Whatever the div holds (a plain link, say) stays until the widget has loaded, and stays for
// good if our server cannot be reached or the petition does not exist: the page never breaks.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !window.URL || !window.postMessage) return;
  var origin = new URL(script.src).origin;
  var GIVE_UP_MS = 15000;
  var MIN_HEIGHT = 60;
  var MAX_HEIGHT = 1200;
  var SLUG = /^[A-Za-z0-9_-]{1,80}$/;
  var frames = [];

  function widgetUrl(holder) {
    var slug = holder.getAttribute("data-petition");
    var url = new URL(origin + "/petitions/" + encodeURIComponent(slug) + "/embed");
    var theme = holder.getAttribute("data-theme");
    var lang = holder.getAttribute("data-lang");
    if (theme) url.searchParams.set("theme", theme);
    if (lang) url.searchParams.set("lang", lang);
    if (holder.hasAttribute("data-compact") && holder.getAttribute("data-compact") !== "false") {
      url.searchParams.set("compact", "1");
    }
    return url.href;
  }

  function mount(holder) {
    if (holder.getAttribute("data-groundswell") || !SLUG.test(holder.getAttribute("data-petition") || "")) return;
    holder.setAttribute("data-groundswell", "loading");
    var frame = document.createElement("iframe");
    frame.src = widgetUrl(holder);
    frame.title = "Petition";
    frame.setAttribute("scrolling", "no");
    // Out of sight until the widget says it is there.
    frame.style.cssText = "display:block;width:100%;height:0;border:0;visibility:hidden;overflow:hidden";
    var entry = { frame: frame, holder: holder, shown: false };
    frames.push(entry);
    holder.appendChild(frame);
    setTimeout(function () {
      if (entry.shown) return;
      holder.removeChild(frame);
      frames.splice(frames.indexOf(entry), 1);
      holder.setAttribute("data-groundswell", "unavailable");
    }, GIVE_UP_MS);
  }

  function show(entry, data) {
    var height = Math.round(Number(data.height));
    if (!(height >= MIN_HEIGHT)) return;
    entry.frame.style.height = Math.min(height, MAX_HEIGHT) + "px";
    if (typeof data.title === "string" && data.title) entry.frame.title = data.title.slice(0, 200);
    if (entry.shown) return;
    entry.shown = true;
    // Hide what the partner put in the div as a fallback, now that the widget stands in for it.
    for (var child = entry.holder.firstChild; child; child = child.nextSibling) {
      if (child !== entry.frame && child.nodeType === 1) child.style.display = "none";
      else if (child !== entry.frame && child.nodeType === 3) child.textContent = "";
    }
    entry.frame.style.visibility = "visible";
    entry.holder.setAttribute("data-groundswell", "ready");
  }

  window.addEventListener("message", function (event) {
    // Only our widgets, and each message only for the frame that sent it.
    if (event.origin !== origin || !event.data || event.data.type !== "groundswell:height") return;
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].frame.contentWindow === event.source) show(frames[i], event.data);
    }
  });

  function mountAll() {
    var holders = document.querySelectorAll("[data-petition]");
    for (var i = 0; i < holders.length; i++) mount(holders[i]);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mountAll);
  else mountAll();
})();
