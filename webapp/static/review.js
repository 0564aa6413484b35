/* Keyboard shortcuts of the review pair page (no inline script: the CSP allows only files).
   c confirm · r reject · s skip (r and s put the cursor in the reason; Enter sends) ·
   n next pair · q back to the queue. Keys typed into a field are left alone. */
(function () {
  "use strict";
  var form = document.getElementById("decision-form");
  if (!form) { return; }
  var reason = document.getElementById("reason");
  var pending = null;
  function button(choice) { return form.querySelector('button[value="' + choice + '"]'); }
  function choose(choice) {
    if (choice === "confirm") { button("confirm").click(); return; }
    pending = choice;
    form.setAttribute("data-pending", choice);
    var hint = document.getElementById("pending-hint");
    if (hint) { hint.textContent = "Type the reason, then press Enter to " + choice + "."; }
    reason.focus();
  }
  reason.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      event.preventDefault();
      if (pending) { button(pending).click(); }
    } else if (event.key === "Escape") {
      pending = null;
      form.removeAttribute("data-pending");
      reason.blur();
    }
  });
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" ||
                   target.tagName === "SELECT")) { return; }
    var link;
    switch (event.key) {
      case "c": event.preventDefault(); choose("confirm"); break;
      case "r": event.preventDefault(); choose("reject"); break;
      case "s": event.preventDefault(); choose("skip"); break;
      case "n": link = document.getElementById("next-pair"); if (link) { link.click(); } break;
      case "q": link = document.getElementById("back-to-queue"); if (link) { link.click(); } break;
      default: break;
    }
  });
})();
