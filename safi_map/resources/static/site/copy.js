// "Copy the code" buttons of integrer.html: progressive enhancement, the code stays selectable.
(function () {
  "use strict";
  if (!navigator.clipboard) { return; }
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    var status = button.parentNode.querySelector(".copy-status");
    if (!source) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.textContent).then(function () {
        if (status) { status.textContent = "Code copié."; }
      }, function () {
        if (status) { status.textContent = "Copie impossible : sélectionnez le code à la main."; }
      });
    });
  });
})();
