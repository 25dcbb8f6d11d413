// A job the server runs after the page was sent (an import, an event's schedule): the element
// with data-status-url asks the server where the job stands every second; when its status or
// stage changes, the page loads again to show what the server says (its counts, its result).
// Without JavaScript the page's <noscript> refresh does the same.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-status-url]").forEach(function (running) {
    function poll() {
      fetch(running.dataset.statusUrl, { credentials: "same-origin", cache: "no-store" })
        .then(function (answer) { return answer.ok ? answer.json() : null; })
        .then(function (job) {
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
});
