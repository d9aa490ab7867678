// Console menu: one drop-down open at a time, closed by a click elsewhere or Escape.
(function () {
  function closeAll(except) {
    document.querySelectorAll("details.menu-group[open]").forEach(function (d) {
      if (d !== except) d.removeAttribute("open");
    });
  }
  document.addEventListener("click", function (e) {
    closeAll(e.target.closest("details.menu-group"));
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape") closeAll(null);
  });
})();
