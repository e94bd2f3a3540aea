// The dashboard: a small hash router over five pages, behind a token asked for once per browser tab.
//   #/runs  #/run/ID  #/history  #/evaluate  #/browse?file=F&path=P
import "./style.css";
import { client, token, call, onUnauthorized, errorText, isAbort } from "./api.js";
import { h, clear, message, field } from "./dom.js";
import { runsPage } from "./pages/runs.js";
import { runPage } from "./pages/run.js";
import { historyPage } from "./pages/history.js";
import { evaluatorPage } from "./pages/evaluator.js";
import { browserPage } from "./pages/browser.js";
import { parseHash } from "./router.js";

const ROUTES = [
  [/^\/runs$/, "runs", runsPage],
  [/^\/run\/(\d+)$/, "runs", runPage],
  [/^\/history$/, "history", historyPage],
  [/^\/evaluate$/, "evaluate", evaluatorPage],
  [/^\/browse$/, "browse", browserPage],
];

const main = document.getElementById("main");
let current = null; // {controller, cleanups}

async function render() {
  const { path, params } = parseHash();
  if (!path.startsWith("/")) return; // an in-page anchor
  if (current) {
    current.controller.abort();
    current.cleanups.forEach((f) => f());
  }
  const controller = new AbortController();
  const cleanups = [];
  current = { controller, cleanups };
  clear(main);
  delete main.dataset.ready;
  if (!token.get()) return askToken();
  const route = ROUTES.find(([rx]) => rx.test(path));
  for (const a of document.querySelectorAll("nav a")) {
    if (route && a.dataset.page === route[1]) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  document.getElementById("forget-token").hidden = false;
  if (!route) {
    main.append(h("h1", { tabindex: -1 }, "Not found"), message("error", `No page at #${path}. `, h("a", { href: "#/runs" }, "Runs")));
    main.dataset.ready = path;
    return;
  }
  const [rx, name, page] = route;
  main.dataset.page = name;
  let first = true;
  const moveFocus = focusOnRender;
  focusOnRender = true;
  const ctx = {
    main, params, match: path.match(rx), signal: controller.signal,
    onCleanup: (f) => cleanups.push(f),
    ready: () => {
      if (controller.signal.aborted) return;
      main.dataset.ready = path;
      // after a move to another page, focus goes to its heading (not on the first load, nor away from a field in use)
      if (first && moveFocus && !main.contains(document.activeElement)) main.querySelector("h1")?.focus();
      first = false;
    },
  };
  try {
    await page(ctx);
  } catch (e) {
    if (isAbort(e) || controller.signal.aborted) return;
    main.append(message("error", errorText(e)));
    ctx.ready();
  }
}
let focusOnRender = false; // not on the first load: the page opens at its top, focus on the document

function askToken(problem) {
  // stop the page (its loops would only meet 401s), and show the form once: later 401s only update its message
  if (current) {
    current.controller.abort();
    current.cleanups.forEach((f) => f());
    current = null;
  }
  document.getElementById("forget-token").hidden = true;
  const shown = document.getElementById("token-form");
  if (shown) {
    shown.querySelector(".token-problem").replaceChildren(problem ? message("error", errorText(problem)) : "");
    document.getElementById("token").select();
    return;
  }
  clear(main);
  delete main.dataset.ready;
  const input = h("input", { id: "token", type: "password", autocomplete: "off", required: true, spellcheck: "false", size: 60 });
  const status = h("div", { role: "status", "aria-live": "polite" });
  const form = h("form", { id: "token-form", class: "card narrow" },
    h("h1", { tabindex: -1 }, "Sign in"),
    h("p", null, "The API needs a token (", h("code", null, "tradebal serve token --scopes read"),
      " or ", h("code", null, "--scopes submit"), "). It is kept in this browser tab only (sessionStorage)."),
    h("div", { class: "token-problem" }, problem ? message("error", errorText(problem)) : null),
    field("API token", input, "Begins with tb_. Read scope to look; submit scope to submit and cancel runs."),
    h("button", { type: "submit" }, "Use this token"), status);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    token.set(input.value.trim());
    status.textContent = "Checking…";
    try {
      await call("GET", "/v1/runs", { params: { query: { limit: 1 } } });
    } catch (e) {
      token.clear();
      status.textContent = "";
      return askToken(e); // (a 401 has already said so through onUnauthorized: the same message)
    }
    focusOnRender = true;
    render();
  });
  main.append(form);
  main.dataset.ready = "token";
  input.focus();
}

onUnauthorized.add((e) => askToken(e));

document.getElementById("forget-token").addEventListener("click", () => {
  token.clear();
  askToken();
});
document.querySelector(".skip").addEventListener("click", (ev) => {
  ev.preventDefault();
  main.focus();
});

async function health() {
  const el = document.getElementById("server-status");
  try {
    const { data } = await client.GET("/v1/health");
    if (data) el.textContent = `tradebal ${data.version ?? ""}`.trim();
  } catch {
    el.textContent = "server unreachable";
  }
}

window.addEventListener("hashchange", () => { focusOnRender = true; render(); });
health();
render();
