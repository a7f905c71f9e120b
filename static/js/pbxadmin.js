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
