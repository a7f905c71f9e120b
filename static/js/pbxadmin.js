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

// Check and import progress: poll the server, follow the bar to 100 %, then go on to the check
// or the result. A failed job (a dead worker, a time-out) stops the polling and says why.
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
  const failed = document.getElementById("import-failed");
  const next = document.getElementById("import-next");
  async function poll() {
    try {
      const response = await fetch(bar.dataset.url, {credentials: "same-origin", headers: {Accept: "application/json"}});
      if (response.ok) {
        const state = await response.json();
        inner.style.width = state.percent + "%";
        inner.textContent = state.percent + " %";
        bar.setAttribute("aria-valuenow", state.percent);
        count.textContent = state.done + " of " + state.total + " rows";
        next.href = state.next;
        if (state.failed) {
          inner.classList.remove("progress-bar-animated", "progress-bar-striped");
          inner.classList.add("bg-danger");
          failed.textContent = state.error;
          failed.classList.remove("d-none");
          next.textContent = "See the result";
          return;
        }
        if (state.finished) {
          inner.classList.remove("progress-bar-animated");
          setTimeout(function () { window.location = state.next; }, 600);
          return;
        }
      }
    } catch (error) {
      // The server is restarting: keep asking.
    }
    setTimeout(poll, 500);
  }
  if (!failed || failed.classList.contains("d-none")) {
    poll();
  }
})();

// The Asterisk banner: refresh it every few seconds, and follow a "Sync now" to its outcome.
(function () {
  "use strict";
  const banner = document.getElementById("sync-banner");
  if (!banner) {
    return;
  }
  const body = document.getElementById("sync-banner-body");
  const outcome = document.getElementById("sync-outcome");
  const tones = ["sync-ok", "sync-warning", "sync-neutral", "sync-problem"];
  let following = null; // {runs, errorAt, since} while a "Sync now" is followed
  let timer = null;

  function show(state) {
    body.innerHTML = state.html;
    banner.dataset.state = state.state;
    banner.classList.remove(...tones);
    banner.classList.add("sync-" + state.tone);
  }

  function settled(state) {
    // A run ended (its count moved on and nothing is queued), or it failed (a new error).
    const ran = state.runs > following.runs && !state.syncing;
    const failed = state.error_at && state.error_at !== following.errorAt && state.state !== "connected";
    return ran || failed || (!state.syncing && Date.now() - following.since > 2000);
  }

  async function refresh() {
    clearTimeout(timer);
    if (document.hidden && !following) {
      timer = setTimeout(refresh, 5000);
      return;
    }
    try {
      const response = await fetch(banner.dataset.statusUrl, {
        credentials: "same-origin", headers: {Accept: "application/json"},
      });
      if (response.ok) {
        const state = await response.json();
        show(state);
        if (following && settled(state)) {
          outcome.textContent = state.outcome;
          outcome.className = state.state === "connected" ? "text-success-emphasis" : "text-danger-emphasis";
          following = null;
        } else if (following && Date.now() - following.since > 60000) {
          outcome.textContent = "Still syncing: the banner updates when it ends.";
          following = null;
        }
      }
    } catch (error) {
      // The server is restarting or the network dropped: try again later.
    }
    timer = setTimeout(refresh, following ? 700 : 5000);
  }

  const form = banner.querySelector("[data-sync-now]");
  if (form) {
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      const button = form.querySelector("button");
      button.disabled = true;
      outcome.className = "text-body-secondary";
      outcome.textContent = "Syncing…";
      try {
        const response = await fetch(form.action, {
          method: "POST",
          credentials: "same-origin",
          headers: {Accept: "application/json", "X-CSRFToken": form.elements.csrfmiddlewaretoken.value},
          body: new FormData(form),
        });
        if (!response.ok) {
          outcome.textContent = "The sync could not be asked for (" + response.status + ").";
          return;
        }
        const state = await response.json();
        following = {runs: state.runs, errorAt: state.error_at, since: Date.now()};
        // In inline mode the run is already over when the answer comes back.
        if (!state.syncing) {
          following.runs -= 1;
          following.errorAt = "";
        }
        show(state);
        refresh();
      } finally {
        button.disabled = false;
      }
    });
  }
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) {
      refresh();
    }
  });
  timer = setTimeout(refresh, 5000);
})();

// The user choice: suggest users from /users/search/ as the administrator types (no menu of every user).
(function () {
  "use strict";
  let pending = null;
  document.addEventListener("input", function (event) {
    const input = event.target.closest("[data-user-search]");
    if (!input) {
      return;
    }
    clearTimeout(pending);
    pending = setTimeout(async function () {
      const url = input.dataset.userSearch + "?q=" + encodeURIComponent(input.value.trim());
      const response = await fetch(url, {credentials: "same-origin", headers: {Accept: "application/json"}});
      if (!response.ok) {
        return;
      }
      const list = document.getElementById(input.getAttribute("list"));
      list.replaceChildren(...(await response.json()).results.map(function (user) {
        const option = document.createElement("option");
        option.value = user.extension;
        option.label = user.extension + " " + user.name;
        return option;
      }));
    }, 200);
  });
})();

// List filters: choosing a technology, a type or a page size applies it at once.
document.addEventListener("change", function (event) {
  "use strict";
  const select = event.target.closest("select[data-autosubmit]");
  if (select) {
    select.form.requestSubmit();
  }
});

// A form that undoes something (a hand edit) asks first: data-confirm holds the question.
document.addEventListener("submit", function (event) {
  "use strict";
  const question = event.target.dataset && event.target.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// The Trunks list: each trunk's registration mark, redrawn from the server every 5 seconds
// (the marks come rendered and escaped by the server, as the page drew them).
(function () {
  "use strict";
  const table = document.querySelector("[data-states-url]");
  if (!table) {
    return;
  }
  async function refresh() {
    try {
      const response = await fetch(table.dataset.statesUrl, {credentials: "same-origin"});
      if (response.ok) {
        const marks = (await response.json()).trunks;
        table.querySelectorAll("[data-trunk-registration]").forEach(function (cell) {
          const mark = marks[cell.dataset.trunkRegistration];
          if (mark !== undefined && cell.innerHTML.trim() !== mark.trim()) {
            cell.innerHTML = mark;
          }
        });
      }
    } finally {
      window.setTimeout(refresh, 5000);
    }
  }
  window.setTimeout(refresh, 5000);
})();

// The Servers list: each server's state mark, redrawn from the server every 5 seconds
// (the marks come rendered and escaped by the server, as the page drew them).
(function () {
  "use strict";
  const table = document.querySelector("[data-server-states-url]");
  if (!table) {
    return;
  }
  async function refresh() {
    try {
      const response = await fetch(table.dataset.serverStatesUrl, {credentials: "same-origin"});
      if (response.ok) {
        const marks = (await response.json()).servers;
        table.querySelectorAll("[data-server-state]").forEach(function (cell) {
          const mark = marks[cell.dataset.serverState];
          if (mark !== undefined && cell.innerHTML.trim() !== mark.trim()) {
            cell.innerHTML = mark;
          }
        });
      }
    } finally {
      window.setTimeout(refresh, 5000);
    }
  }
  window.setTimeout(refresh, 5000);
})();
