// The invitation page's Copy button (progressive enhancement): without this script the
// button stays hidden and the link is there to select and copy by hand.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var button = document.getElementById("copy-link");
  var link = document.getElementById("client-link");
  var status = document.getElementById("copy-status");
  if (!button || !link || !navigator.clipboard) {
    return;
  }
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(link.textContent.trim()).then(
      function () {
        status.textContent = "Copied.";
      },
      function () {
        status.textContent = "Could not copy: select the link and copy it.";
      }
    );
  });
});
