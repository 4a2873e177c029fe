// The progress of a run started from a page: the region is refreshed in place every 2 s
// (no page reload, so nothing moves under a keyboard or a screen reader) until the run ends.
"use strict";

const region = document.getElementById("job");
if (region && region.dataset.running === "yes") {
  const timer = setInterval(async () => {
    try {
      const page = await fetch(location.href, { credentials: "same-origin" });
      const next = new DOMParser().parseFromString(await page.text(), "text/html")
        .getElementById("job");
      if (!next) return;
      region.innerHTML = next.innerHTML;
      if (next.dataset.running !== "yes") {
        region.dataset.running = "no";
        clearInterval(timer);
      }
    } catch (e) {
      clearInterval(timer);
    }
  }, 2000);
}
