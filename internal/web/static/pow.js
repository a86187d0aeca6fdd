// Pelote's anti-robot check. A form marked data-pow carries a signed
// challenge; this finds the first counter n such that
// SHA-256(challenge + ":" + n) starts with the number of zero bits the
// challenge asks for (what internal/pow.Solve does), writes it into the
// form and lets the form be sent. Nothing leaves the browser but the
// answer, sent with the form.
(function () {
  "use strict";

  function zeroBits(hash, bits) {
    var bytes = new Uint8Array(hash), i = 0;
    for (; bits >= 8; bits -= 8, i++) {
      if (bytes[i] !== 0) return false;
    }
    return bits === 0 || (bytes[i] >> (8 - bits)) === 0;
  }

  function solve(token, bits, batch) {
    var enc = new TextEncoder(), start = 0;
    return new Promise(function (resolve, reject) {
      function round() {
        var tries = [];
        for (var n = start; n < start + batch; n++) {
          tries.push(crypto.subtle.digest("SHA-256", enc.encode(token + ":" + n)));
        }
        Promise.all(tries).then(function (hashes) {
          for (var i = 0; i < hashes.length; i++) {
            if (zeroBits(hashes[i], bits)) return resolve(String(start + i));
          }
          start += batch;
          setTimeout(round, 0); // let the page breathe between rounds
        }, reject);
      }
      round();
    });
  }

  document.querySelectorAll("form[data-pow]").forEach(function (form) {
    var token = form.querySelector("input[name=pow_token]");
    var answer = form.querySelector("input[name=pow_solution]");
    var status = form.querySelector("[data-pow-status]");
    if (!token || !answer || !status) return;
    // broken: this browser cannot compute; the form then goes as it is
    // and the server's answer says what is missing.
    var done = false, waiting = false, broken = false;
    function say(key) { status.textContent = status.getAttribute("data-" + key); }

    form.addEventListener("submit", function (e) {
      if (done || broken) return;
      e.preventDefault(); // sent as soon as the answer is found
      waiting = true;
      say("waiting");
    });
    if (!window.crypto || !crypto.subtle) {
      broken = true;
      say("insecure"); // WebCrypto exists only over HTTPS (or on localhost)
      return;
    }
    say("working");
    solve(token.value, parseInt(token.getAttribute("data-bits"), 10) || 0, 256).then(function (n) {
      answer.value = n; // on a hidden input, this is its value attribute too
      done = true;
      say("done");
      if (waiting) form.requestSubmit ? form.requestSubmit() : form.submit();
    }, function () {
      broken = true;
      say("failed");
    });
  });
})();
