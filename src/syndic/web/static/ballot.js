// A quadratic ballot's cost as it is typed: n votes for an option cost n*n voice credits.
// The server checks the budget again when the ballot is cast; this only shows it early.
"use strict";

(function () {
  const form = document.getElementById("ballot");
  if (!form || !form.dataset.credits) return;
  const held = Number(form.dataset.credits);
  const inputs = Array.from(form.querySelectorAll('input[type="number"]'));
  const out = document.getElementById("cost");

  function update() {
    let cost = 0;
    let valid = true;
    for (const input of inputs) {
      const n = input.value === "" ? 0 : Number(input.value);
      if (!Number.isInteger(n) || n < 0) { valid = false; continue; }
      cost += n * n;
    }
    if (!valid) {
      out.textContent = "Votes are whole numbers, 0 or more.";
    } else if (cost > held) {
      out.textContent = `This ballot costs ${cost} credits: more than the ${held} you hold.`;
    } else {
      out.textContent = `This ballot costs ${cost} of your ${held} credits; ${held - cost} would be left.`;
    }
  }
  inputs.forEach((i) => i.addEventListener("input", update));
  update();
})();
