// The console's upload page: send a department's file to /console/api/uploads, follow its progress, offer the feedback file.
'use strict';

const $ = (id) => document.getElementById(id);
const STATE_ZH = { queued: '排队中', running: '处理中', done: '完成', failed: '失败' };
const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

let csrfToken = null;
let categories = {};

async function api(path, options = {}) {
  const method = options.method || 'GET';
  const res = await fetch(`/console/api${path}`, {
    credentials: 'same-origin',
    ...options,
    headers: { accept: 'application/json', ...(options.headers || {}), ...(method !== 'GET' && csrfToken ? { 'x-csrf-token': csrfToken } : {}) },
  });
  const text = await res.text();
  const body = text ? JSON.parse(text) : null;
  if (!res.ok) throw new Error((body && (body.detail || body.title)) || `HTTP ${res.status}`);
  return body;
}

function cell(row, text) {
  const td = document.createElement('td');
  td.textContent = text;
  row.appendChild(td);
  return td;
}

function feedbackHref(id) {
  return `/console/api/uploads/${id}/feedback`;
}

async function loadList() {
  const { uploads } = await api('/uploads');
  const body = $('uploads-body');
  body.replaceChildren();
  for (const u of uploads) {
    const tr = document.createElement('tr');
    cell(tr, new Date(u.createdAt).toLocaleString('zh-CN'));
    cell(tr, u.fileName || '');
    cell(tr, categories[u.category] || u.category);
    cell(tr, STATE_ZH[u.state] || u.state);
    cell(tr, String(u.stored));
    cell(tr, String(u.unchanged));
    cell(tr, String(u.rejected));
    const td = cell(tr, '');
    if (u.state === 'done' || u.state === 'failed') {
      const a = document.createElement('a');
      a.href = feedbackHref(u.id);
      a.textContent = '下载';
      a.setAttribute('download', '');
      td.appendChild(a);
    }
    body.appendChild(tr);
  }
}

function showProgress(u) {
  $('upload-progress').hidden = false;
  $('progress-file').textContent = u.fileName || '';
  $('progress-state').textContent = STATE_ZH[u.state] || u.state;
  $('progress-read').textContent = u.rowsTotal === null ? String(u.rowsRead) : `${u.rowsRead} / ${u.rowsTotal}`;
  $('progress-stored').textContent = String(u.stored);
  $('progress-unchanged').textContent = String(u.unchanged);
  $('progress-rejected').textContent = String(u.rejected);
  $('progress-bar').value = u.rowsTotal ? Math.min(1, u.rowsRead / u.rowsTotal) : 0;
  $('progress-error').textContent = u.error ? u.error.zh : '';
  const link = $('feedback-link');
  link.hidden = !(u.state === 'done' || u.state === 'failed');
  link.href = feedbackHref(u.id);
}

async function follow(id) {
  for (;;) {
    const u = await api(`/uploads/${id}`);
    showProgress(u);
    if (u.state === 'done' || u.state === 'failed') break;
    await new Promise((r) => setTimeout(r, 300));
  }
  if ($('progress-bar').value < 1 && $('progress-state').textContent === STATE_ZH.done) $('progress-bar').value = 1;
  await loadList();
}

async function submit(event) {
  event.preventDefault();
  $('upload-error').textContent = '';
  const file = $('upload-file').files[0];
  if (!file) return;
  const type = /\.csv$/i.test(file.name) ? 'text/csv' : XLSX_TYPE;
  const query = new URLSearchParams({ category: $('upload-category').value, sourceSystem: $('upload-system').value, fileName: file.name });
  try {
    const u = await api(`/uploads?${query}`, { method: 'POST', body: file, headers: { 'content-type': type } });
    showProgress(u);
    await follow(u.id);
  } catch (err) {
    $('upload-error').textContent = `上传被拒收：${err.message}`;
  }
}

async function start() {
  const session = await api('/session');
  if (!session.signedIn) {
    $('signed-out').hidden = false;
    return;
  }
  csrfToken = session.csrfToken;
  $('operator-name').textContent = session.username;
  const info = await api('/uploads');
  const select = $('upload-category');
  for (const c of info.categories) {
    categories[c.id] = c.nameZh;
    const option = document.createElement('option');
    option.value = c.id;
    option.textContent = `${c.nameZh}（${c.id}）`;
    select.appendChild(option);
  }
  $('limit-bytes').textContent = `${Math.round(info.maxBytes / 1024 / 1024)} MiB`;
  $('limit-rows').textContent = String(info.maxRows);
  $('upload-form').addEventListener('submit', submit);
  $('app').hidden = false;
  await loadList();
}

start().catch((err) => {
  const banner = $('error-banner');
  banner.textContent = `页面加载失败：${err.message}`;
  banner.hidden = false;
});
