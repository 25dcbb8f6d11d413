// While a file is read or imports, say so and keep the button from sending it twice (plain forms otherwise).
// The page of a running import asks where it stands with job.js.
document.addEventListener("DOMContentLoaded", function () {
  // The file picker: a button and "no file chosen" in the page's language instead of the
  // browser's, then the chosen file's name. The input itself still takes focus and the file.
  var pick = document.getElementById("file-pick");
  var input = document.getElementById("file");
  var button = document.getElementById("file-button");
  var chosen = document.getElementById("file-name");
  if (pick && input && button && chosen) {
    pick.classList.add("enhanced");
    button.hidden = false;
    chosen.hidden = false;
    var show = function () {
      var file = input.files && input.files[0];
      chosen.textContent = file ? file.name : chosen.dataset.none;
      chosen.classList.toggle("chosen", !!file);
    };
    input.addEventListener("change", function () { input.setCustomValidity(""); show(); });
    // the browser's "Please select a file" would be in its own language too
    input.addEventListener("invalid", function () {
      if (!input.files || !input.files.length) input.setCustomValidity(chosen.dataset.missing);
    });
    show();  // a file kept by the browser after "back"
  }

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
