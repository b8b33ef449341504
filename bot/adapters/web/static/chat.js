// candibot's web chat, with JavaScript on: the chat's forms are sent without reloading
// the page, and the answer replaces it. Without this script the forms work as they are.
(function () {
  "use strict";

  function latest() {
    var anchor = document.getElementById("latest");
    if (anchor) anchor.scrollIntoView({ block: "start" });
    var box = document.getElementById("message");
    if (box) box.focus({ preventScroll: true });
  }

  // One turn at a time: on a slow connection a second press while the first is on its
  // way would send the message (or press the button) twice.
  var sending = false;

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || form.hasAttribute("data-navigate")) return;
    if (!window.fetch || !window.DOMParser) return;
    event.preventDefault();
    if (sending) return;
    sending = true;
    var data = new FormData(form);
    var pressed = event.submitter;
    if (pressed && pressed.name) data.append(pressed.name, pressed.value);
    document.body.setAttribute("aria-busy", "true");
    fetch(form.action, { method: "POST", body: data, credentials: "same-origin" })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        document.title = page.title;
        document.documentElement.lang = page.documentElement.lang;
        document.body.replaceWith(document.adoptNode(page.body));
        sending = false;
        latest();
      })
      .catch(function () { sending = false; form.submit(); });
  });
})();
