// The invitation page's progressive enhancements. Without this script the page still works:
// the link is there to select and copy, and a plain reload shows whether the answers arrived.
//
// - While the page waits for the client's answers (an element with `data-refresh` seconds),
//   it reloads itself that often, while it is visible, until "Stop reloading" is pressed
//   (a timed reload the person can turn off, WCAG 2.2.1; axe refuses <meta http-equiv=refresh>).
// - The Copy button copies the client's link.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var waiting = document.querySelector("[data-refresh]");
  if (waiting) {
    var seconds = parseInt(waiting.getAttribute("data-refresh"), 10) || 10;
    var stop = document.getElementById("stop-refresh");
    var note = document.getElementById("refresh-note");
    var timer = null;
    var schedule = function () {
      timer = window.setTimeout(function () {
        if (document.visibilityState === "visible") {
          window.location.reload();
        } else {
          schedule();
        }
      }, seconds * 1000);
    };
    if (note) {
      note.textContent = "This page reloads itself every " + seconds +
        " seconds to show whether they have arrived.";
    }
    if (stop) {
      stop.hidden = false;
      stop.addEventListener("click", function () {
        window.clearTimeout(timer);
        stop.hidden = true;
        if (note) {
          note.textContent = "Reloading stopped: reload the page to see whether they have arrived.";
        }
      });
    }
    schedule();
  }

  var button = document.getElementById("copy-link");
  var link = document.getElementById("client-link");
  var status = document.getElementById("copy-status");
  if (button && link && status && navigator.clipboard) {
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
  }
});
