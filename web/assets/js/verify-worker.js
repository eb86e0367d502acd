// Verifies an election's bulletin board off the page's thread (a module worker, started by
// election.js). It loads urna-wasm, fetches the board page by page, feeds the WebAssembly
// verifier and posts only codes and numbers (the page translates):
//   in:  {id, requireComplete}
//   out: {type: "progress", events}
//        {type: "done", verdict}            verdict = {report, found, missing}
//        {type: "error", code, check, seq, culprit, message}

import { loadUrna } from "/assets/js/wasm.js";

const PAGE = 1000;

async function boardPage(id, from) {
  let response;
  try {
    response = await fetch(
      `/api/v1/elections/${encodeURIComponent(id)}/board?from=${from}&limit=${PAGE}`,
      { headers: { Accept: "application/json" }, cache: "no-store" },
    );
  } catch (e) {
    const error = new Error(String(e));
    error.code = "network";
    throw error;
  }
  if (!response.ok) {
    let body = null;
    try {
      body = await response.json();
    } catch {
      body = null;
    }
    const error = new Error(body?.message || `HTTP ${response.status}`);
    error.code = body?.error || `http_${response.status}`;
    throw error;
  }
  return response.json();
}

async function verify(id, requireComplete) {
  const urna = await loadUrna();
  const verifier = new urna.Verifier();
  const progress = (events) => postMessage({ type: "progress", events });
  progress(0);
  let from = 0;
  for (;;) {
    const page = await boardPage(id, from);
    verifier.pushLines(page.lines, progress, 50);
    progress(verifier.events);
    if (page.next === undefined || page.next === null) break;
    from = page.next;
  }
  return JSON.parse(verifier.finish(requireComplete, []));
}

self.onmessage = async (event) => {
  const { id, requireComplete } = event.data;
  try {
    const verdict = await verify(id, requireComplete);
    postMessage({ type: "done", verdict });
  } catch (e) {
    postMessage({
      type: "error",
      code: e?.code || "unexpected",
      check: e?.check ?? null,
      seq: e?.seq ?? null,
      culprit: e?.culprit ?? null,
      message: e?.message || String(e),
    });
  }
};
