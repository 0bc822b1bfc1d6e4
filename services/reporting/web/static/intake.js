/* The intake page: calls intake's HTTP API from the browser with the session cookie (same
   origin; behind one gateway in a split deployment) and the CSRF token from the readable
   cookie. Lists documents, uploads or pastes a notice, shows the draft beside each task's
   original text with the parser's warnings, saves corrections (PATCH) and publishes. */
"use strict";
(function () {
  const INTAKE = "/intake/documents";
  const body = document.body;
  const $ = (id) => document.getElementById(id);

  function csrf() {
    const name = body.dataset.csrfCookie + "=";
    const found = document.cookie.split("; ").find((c) => c.startsWith(name));
    return found ? decodeURIComponent(found.slice(name.length)) : "";
  }

  async function call(method, url, data, isForm) {
    const headers = { Accept: "application/json" };
    if (method !== "GET") headers[body.dataset.csrfHeader] = csrf();
    if (data !== undefined && !isForm) headers["Content-Type"] = "application/json";
    const response = await fetch(url, {
      method, headers, credentials: "same-origin",
      body: data === undefined ? undefined : (isForm ? data : JSON.stringify(data)),
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(answer.detail || `请求失败（${response.status}）`);
    return answer;
  }

  function showError(error) {
    const box = $("intake-error");
    box.textContent = error ? error.message || String(error) : "";
    box.hidden = !error;
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v; else if (k === "text") node.textContent = v;
      else node.setAttribute(k, v);
    }
    for (const c of children) node.append(c);
    return node;
  }

  const STATUS = { draft: "草稿", published: "已发布", superseded: "已被更正" };
  const SOURCE = { upload: "上传", text: "粘贴", oa: "OA 推送", api: "接口" };
  const when = (iso) => iso ? new Date(iso).toLocaleString("zh-CN", { hour12: false }) : "";

  // --- the list page -------------------------------------------------------------------
  async function listPage() {
    const tbody = $("documents").querySelector("tbody");
    try {
      const docs = await call("GET", INTAKE);
      tbody.replaceChildren(...docs.map((d) => el("tr", {},
        el("td", { text: d.doc_number || "—" }),
        el("td", {}, el("a", { href: `/reporting/dashboard/intake/${d.id}`, text: d.title })),
        el("td", { text: SOURCE[d.source] || d.source }),
        el("td", { text: STATUS[d.status] || d.status }),
        el("td", { text: when(d.created_at) }))));
      if (!docs.length) tbody.replaceChildren(el("tr", {}, el("td", { colspan: 5, text: "还没有文件。" })));
    } catch (error) { showError(error); }

    const open = (doc, original) => {
      if (original) sessionStorage.setItem(`duban-original-${doc.id}`, original);
      location.href = `/reporting/dashboard/intake/${doc.id}`;
    };
    $("upload-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      showError(null);
      const file = $("upload-file").files[0];
      if (!file) return;
      const form = new FormData();
      form.append("file", file);
      try {
        const doc = await call("POST", `${INTAKE}/upload`, form, true);
        open(doc, file.name.toLowerCase().endsWith(".txt") ? await file.text() : null);
      } catch (error) { showError(error); }
    });
    $("paste-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      showError(null);
      const text = $("paste-text").value;
      try { open(await call("POST", `${INTAKE}/text`, { text }), text); }
      catch (error) { showError(error); }
    });
  }

  // --- the review page -----------------------------------------------------------------
  const split = (s) => s.split(/[、，,;；\n]+/).map((x) => x.trim()).filter(Boolean);
  const deadlinesText = (ds) => ds.map((d) => `${d.phrase}｜${d.date || ""}`).join("\n");
  const targetsText = (ts) => ts.map((t) =>
    [t.phrase, t.subject, t.comparator, t.value ?? "", t.unit].join("｜")).join("\n");
  const lines = (s) => s.split("\n").map((x) => x.trim()).filter(Boolean)
    .map((x) => x.split(/[｜|]/).map((p) => p.trim()));

  function field(label, name, value, multiline) {
    const input = multiline ? el("textarea", { name, rows: 2 }) : el("input", { name, type: "text" });
    input.value = value;
    return el("label", {}, el("span", { text: label }), input);
  }

  function taskCard(doc, task, warnings) {
    const draft = doc.status === "draft";
    const card = el("article", { class: "task" + (warnings.length ? " has-warning" : ""),
      id: `task-${task.position}` });
    const left = el("div", { class: "original" },
      el("div", { class: "muted small", text: task.path.join(" › ") }),
      el("p", {}, el("b", { text: `${task.number} ` }), task.text));
    for (const w of warnings) left.append(el("p", { class: "warning", text: `⚠ ${w.message}` }));
    const form = el("form", { class: "draft" },
      field("责任领导", "leaders", task.leaders.join("、")),
      field("牵头单位", "lead_units", task.lead_units.join("、")),
      field("责任单位", "responsible_units", task.responsible_units.join("、")),
      field("配合单位", "cooperating_units", task.cooperating_units.join("、")),
      field("时间节点（原文｜日期）", "deadlines", deadlinesText(task.deadlines), true),
      field("量化目标（原文｜指标｜比较｜目标值｜单位）", "targets", targetsText(task.targets), true));
    if (draft) {
      form.append(el("button", { type: "submit", class: "save", text: "保存更正" }));
      form.addEventListener("submit", (event) => { event.preventDefault(); save(doc, task, form); });
    } else {
      for (const input of form.querySelectorAll("input,textarea")) input.disabled = true;
    }
    card.append(left, form);
    return card;
  }

  async function save(doc, task, form) {
    showError(null);
    const v = (name) => form.elements[name].value;
    const patch = {
      leaders: split(v("leaders")),
      lead_units: split(v("lead_units")),
      responsible_units: split(v("responsible_units")),
      cooperating_units: split(v("cooperating_units")),
      deadlines: lines(v("deadlines")).map(([phrase, date]) => ({ phrase, date: date || null })),
      targets: lines(v("targets")).map(([phrase, subject, comparator, value, unit]) => ({
        phrase, subject: subject || "", comparator: comparator || "=",
        value: Number(value), unit: unit || "" })),
    };
    try {
      await call("PATCH", `${INTAKE}/${doc.id}/tasks/${task.position}`, patch);
      await reviewPage(`已保存第 ${task.number} 项的更正。`);
    } catch (error) { showError(error); }
  }

  function warningsFor(doc, task) {
    return doc.warnings.filter((w) => w.task && (w.task === task.number || w.task === task.task_id
      || w.task === String(task.position)));
  }

  async function reviewPage(message) {
    const id = $("document").dataset.documentId;
    let doc;
    try { doc = await call("GET", `${INTAKE}/${id}`); } catch (error) { showError(error); return; }
    $("doc-title").textContent = doc.title;
    $("doc-meta").textContent = [doc.doc_number, doc.issuer, doc.issued_date,
      `${doc.task_count} 项任务`, SOURCE[doc.source] || doc.source, doc.filename].filter(Boolean).join(" · ");
    $("doc-status").textContent = STATUS[doc.status] || doc.status;
    $("publish").hidden = doc.status !== "draft";
    const general = doc.warnings.filter((w) => !doc.tasks.some((t) => warningsFor(doc, t).includes(w)));
    $("warnings").replaceChildren(...doc.warnings.map((w) =>
      el("li", { class: general.includes(w) ? "" : "task-warning",
        text: (w.task ? `${w.task}：` : "") + w.message })));
    $("warnings-panel").hidden = !doc.warnings.length;
    const original = doc.text || sessionStorage.getItem(`duban-original-${doc.id}`);
    if (original) {
      $("original").textContent = original;
      $("original-panel").hidden = false;
      $("original-panel").open = true;
    }
    $("tasks").replaceChildren(...doc.tasks.map((t) => taskCard(doc, t, warningsFor(doc, t))));
    const ok = $("intake-ok");
    ok.textContent = message || "";
    ok.hidden = !message;
  }

  async function publish() {
    showError(null);
    const id = $("document").dataset.documentId;
    if (!confirm("发布后各项任务将交办到责任单位，确定发布？")) return;
    try {
      const out = await call("POST", `${INTAKE}/${id}/publish`);
      await reviewPage(`已发布：${out.published_tasks} 项任务已交办。`);
    } catch (error) { showError(error); }
  }

  if ($("documents")) listPage();
  if ($("document")) {
    $("publish").addEventListener("click", publish);
    reviewPage();
  }
})();
