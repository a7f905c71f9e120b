// pbxadmin's own behaviour: secret fields (reveal, generate). No framework needed.
(function () {
  "use strict";

  document.addEventListener("click", async function (event) {
    const reveal = event.target.closest("[data-reveal]");
    if (reveal) {
      const input = document.querySelector(reveal.dataset.reveal);
      // On an edit form the secret is not in the page: fetch it only when asked.
      if (input.type === "password" && !input.value && reveal.dataset.fetch) {
        const response = await fetch(reveal.dataset.fetch, {credentials: "same-origin"});
        if (response.ok) {
          input.value = (await response.json()).secret;
        }
      }
      input.type = input.type === "password" ? "text" : "password";
      reveal.textContent = input.type === "password" ? "Reveal" : "Hide";
      return;
    }
    const generate = event.target.closest("[data-generate]");
    if (generate) {
      const input = document.querySelector(generate.dataset.generate);
      const response = await fetch(generate.dataset.url, {credentials: "same-origin"});
      if (response.ok) {
        input.value = (await response.json()).secret;
        input.type = "text";
      }
    }
  });
})();

// Import progress: poll the server and follow the bar to 100 %, then show the result.
(function () {
  "use strict";
  const bar = document.getElementById("import-progress");
  if (!bar) {
    return;
  }
  const inner = bar.querySelector(".progress-bar");
  const count = document.getElementById("import-count");
  // The width is set from here, not by a style attribute (the CSP allows no inline style).
  inner.style.width = bar.getAttribute("aria-valuenow") + "%";
  async function poll() {
    const response = await fetch(bar.dataset.url, {credentials: "same-origin", headers: {Accept: "application/json"}});
    if (response.ok) {
      const state = await response.json();
      inner.style.width = state.percent + "%";
      inner.textContent = state.percent + " %";
      bar.setAttribute("aria-valuenow", state.percent);
      count.textContent = state.done + " of " + state.total + " rows";
      if (state.finished) {
        setTimeout(function () { window.location = bar.dataset.result; }, 600);
        return;
      }
    }
    setTimeout(poll, 400);
  }
  poll();
})();
