// While a file imports, say so and keep the button from sending it twice (plain form otherwise).
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("import-form");
  var progress = document.getElementById("import-progress");
  if (!form || !progress) return;
  form.addEventListener("submit", function () {
    progress.textContent = form.dataset.running;
    progress.hidden = false;
    form.querySelector("button[type=submit]").disabled = true;
  });
});
