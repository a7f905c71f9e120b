// Phone state marks (templates/asterisk/_phone_mark.html): ask the server every second for the
// states of the devices on this page and update the marks in place. Data comes from data-attributes.
(function () {
  "use strict";
  const marks = Array.from(document.querySelectorAll("[data-phone-device]"));
  if (!marks.length) {
    return;
  }
  const STATES = ["registered", "unregistered", "unreachable", "unknown"];
  const url = marks[0].dataset.phoneUrl;
  const ids = Array.from(new Set(marks.map(function (m) { return m.dataset.phoneDevice; })));

  function show(mark, device) {
    // The words come from the server (asterisk/selectors.py), as the page's first drawing did.
    const state = mark.querySelector("[data-phone-part=state]");
    const usage = mark.querySelector("[data-phone-part=usage]");
    const detail = mark.querySelector("[data-phone-part=detail]");
    STATES.forEach(function (s) { state.classList.toggle("phone-" + s, s === device.state); });
    mark.classList.toggle("phone-stale", device.stale);
    state.textContent = device.state_label;
    if (device.stale) {
      state.title = device.title;
    } else {
      state.removeAttribute("title");
    }
    usage.textContent = device.busy ? device.usage_label : "";
    usage.classList.toggle("d-none", !device.busy);
    detail.textContent = device.detail;
    detail.title = device.title;
  }

  async function poll() {
    if (!document.hidden) {
      try {
        const response = await fetch(url + "?ids=" + encodeURIComponent(ids.join(",")), {
          credentials: "same-origin", headers: {Accept: "application/json"},
        });
        if (response.ok) {
          const byId = new Map((await response.json()).devices.map(function (d) { return [d.id, d]; }));
          marks.forEach(function (mark) {
            const device = byId.get(mark.dataset.phoneDevice);
            if (device) {
              show(mark, device);
            }
          });
        }
      } catch (error) {
        // The server is restarting or the network is down: try again on the next tick.
      }
    }
    setTimeout(poll, 1000);
  }
  setTimeout(poll, 1000);
})();
