// While a file is read or imports, say so and keep the button from sending it twice (plain forms otherwise).
document.addEventListener("DOMContentLoaded", function () {
  var progress = document.getElementById("import-progress");
  ["import-form", "confirm-form"].forEach(function (id) {
    var form = document.getElementById(id);
    if (!form || !progress) return;
    form.addEventListener("submit", function () {
      progress.textContent = form.dataset.running;
      progress.hidden = false;
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    });
  });
});
