// While a file is read or imports, say so and keep the button from sending it twice (plain forms otherwise).
// On the page of a running import, ask the server where it stands every second; when its stage
// changes or it is done or failed, load the page again to show what the server says.
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

  var running = document.getElementById("import-running");
  if (!running) return;
  function poll() {
    fetch(running.dataset.statusUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (job) {
        // A new stage or the end: the server's page says it (rows read, counts, rejects).
        if (job && (job.status !== "running" || job.stage !== running.dataset.stage)) {
          window.location.reload();
          return;
        }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 1000);
});
