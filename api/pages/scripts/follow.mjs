// Follows a case live on its page: while the page says the case is open (`data-follow`), fetch
// the page again every few seconds and swap in each region (`data-live`) whose key changed, and
// the status line, which screen readers announce. A region holding the focus (a question being
// answered) is left alone until the focus leaves it. Polling stops when the case is final, the
// session ends (the fetch is sent to sign in) or after an hour; the page works without this.
const EVERY_MS = 3000;
const AT_MOST = 1200;

let polls = 0;

async function refresh() {
  polls += 1;
  let response;
  try {
    response = await fetch(window.location.href, { credentials: "same-origin", cache: "no-store" });
  } catch {
    return schedule(); // offline for a moment: try again
  }
  if (new URL(response.url).pathname !== window.location.pathname) return; // signed out
  if (!response.ok) return schedule();
  const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
  for (const region of document.querySelectorAll("[data-live]")) {
    const next = fresh.getElementById(region.id);
    if (!next || next.dataset.live === region.dataset.live) continue;
    if (region.contains(document.activeElement)) continue;
    region.replaceWith(document.importNode(next, true));
  }
  const status = document.getElementById("case-status");
  const freshStatus = fresh.getElementById("case-status");
  if (status && freshStatus && status.textContent !== freshStatus.textContent) {
    status.innerHTML = freshStatus.innerHTML;
  }
  if (fresh.querySelector("[data-follow]")) schedule();
}

function schedule() {
  if (polls < AT_MOST) window.setTimeout(refresh, EVERY_MS);
}

if (document.querySelector("[data-follow]")) schedule();
