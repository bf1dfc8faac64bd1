// Progressive enhancement only: every form works without this file.
document.addEventListener("DOMContentLoaded", function () {
  var pageAll = document.getElementById("pageall");
  if (pageAll) {
    pageAll.addEventListener("change", function () {
      document.querySelectorAll("input.emp").forEach(function (c) { c.checked = pageAll.checked; });
    });
  }
  var all = document.getElementById("allmatching");
  if (all) {
    all.addEventListener("change", function () {
      document.querySelectorAll("input.emp").forEach(function (c) { c.checked = all.checked; c.disabled = all.checked; });
    });
  }
  document.querySelectorAll("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (e) {
      if (!window.confirm(f.getAttribute("data-confirm"))) { e.preventDefault(); }
    });
  });
  document.querySelectorAll("[data-back]").forEach(function (a) {
    a.addEventListener("click", function (e) { e.preventDefault(); history.back(); });
  });
});
