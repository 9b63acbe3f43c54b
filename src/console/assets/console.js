// The operator console: plain DOM and fetch against /console/api; charts drawn as inline SVG.
'use strict';

const $ = (id) => document.getElementById(id);
const SVG_NS = 'http://www.w3.org/2000/svg';

const STATUS_ZH = {
  active: '公示中', objected: '异议中', corrected: '已更正', revoked: '已撤销', repair_requested: '修复申请中',
  repaired: '已修复', expired: '已到期', removed: '已移除',
};
const CATEGORY_ZH = {
  dishonest_debtor: '失信被执行人', court_judgment: '裁判文书', admin_penalty: '行政处罚', admin_license: '行政许可',
  procurement_breach: '政府采购失信', bidding_misconduct: '招标投标不良行为',
};
const SEVERITY_ZH = { minor: '轻微', general: '一般', severe: '严重' };
const CONNECTOR_STATE_ZH = { disabled: '未启用', running: '运行中', idle: '空闲' };
const RUN_STATE_ZH = { running: '运行中', succeeded: '成功', failed: '失败', abandoned: '已中止' };
const ALERT_KIND_ZH = { government_severe_record: '政府机构新增严重失信记录', region_score_below_threshold: '地区得分低于阈值', connector_run_failed: '采集器运行异常', console_lockout: '控制台登录多次失败', delivery_rejections: '平台拒收比例过高', delivery_parked: '事件无法交付已搁置' };
const WAY_ZH = { file: '文件', service: '服务接口', database: '数据库（前置库）' };

class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

// The session's CSRF token (from sign-in or GET /session), sent with every state-changing call.
let csrfToken = null;

async function api(path, options = {}) {
  const method = options.method || 'GET';
  const res = await fetch(`/console/api${path}`, {
    credentials: 'same-origin',
    ...options,
    headers: {
      accept: 'application/json',
      ...(options.body ? { 'content-type': 'application/json' } : {}),
      ...(method !== 'GET' && csrfToken ? { 'x-csrf-token': csrfToken } : {}),
    },
  });
  const body = res.headers.get('content-type')?.includes('json') ? await res.json() : null;
  if (!res.ok && res.status !== 409) throw new ApiError(res.status, body);
  return body;
}

function showError(err) {
  if (err instanceof ApiError && err.status === 401) return showSignIn();
  const banner = $('error-banner');
  banner.textContent = `出错了：${err.message}`;
  banner.hidden = false;
}

function clearError() {
  $('error-banner').hidden = true;
  $('error-banner').textContent = '';
}

function fmtTime(iso) {
  if (!iso) return '—';
  return new Date(iso).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false });
}

function cell(text, className) {
  const td = document.createElement('td');
  td.textContent = text === null || text === undefined ? '—' : String(text);
  if (className) td.className = className;
  return td;
}

function fillTable(tbodyId, rows, makeCells, emptyText) {
  const tbody = $(tbodyId);
  tbody.replaceChildren();
  if (!rows.length) {
    const tr = document.createElement('tr');
    const td = cell(emptyText);
    td.colSpan = 12;
    td.className = 'message';
    tr.append(td);
    tbody.append(tr);
    return;
  }
  for (const row of rows) {
    const tr = document.createElement('tr');
    tr.append(...makeCells(row));
    tbody.append(tr);
  }
}

function svgEl(name, attrs, text) {
  const el = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** A bar chart: bars [{label, value, title, color}], drawn into container as SVG. */
function barChart(container, bars, { height = 180, unit = '', max: fixedMax } = {}) {
  const width = 900;
  const pad = { left: 40, right: 10, top: 10, bottom: 36 };
  const svg = svgEl('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img' });
  const max = fixedMax || Math.max(1, ...bars.map((b) => b.value));
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  svg.append(svgEl('line', { x1: pad.left, y1: pad.top + plotH, x2: width - pad.right, y2: pad.top + plotH, stroke: '#9ca3af' }));
  for (const frac of [0, 0.5, 1]) {
    const y = pad.top + plotH * (1 - frac);
    svg.append(svgEl('text', { x: pad.left - 4, y: y + 3, 'text-anchor': 'end' }, `${Math.round(max * frac)}${unit}`));
  }
  const step = plotW / Math.max(1, bars.length);
  const labelEvery = Math.ceil(bars.length / 24);
  bars.forEach((b, i) => {
    const h = (b.value / max) * plotH;
    const barWidth = Math.min(60, Math.max(1, step * 0.8));
    const rect = svgEl('rect', {
      x: pad.left + i * step + (step - barWidth) / 2, y: pad.top + plotH - h, width: barWidth, height: Math.max(h, 0.5),
      fill: b.color || '#9b1c1c', class: 'bar',
    });
    rect.append(svgEl('title', {}, b.title || `${b.label}: ${b.value}`));
    svg.append(rect);
    if (i % labelEvery === 0) {
      svg.append(svgEl('text', { x: pad.left + i * step + step / 2, y: height - pad.bottom + 14, 'text-anchor': 'middle' }, b.label));
    }
  });
  container.replaceChildren(svg);
}

// ---------------------------------------------------------------------------------------------
// Panels

async function loadHealth() {
  const h = await api('/health');
  const up = (v) => (v === 'up' ? '正常' : '不可用');
  $('health-status').textContent = { ready: '就绪', degraded: '降级（消息队列不可用，记录暂存发件箱）', unavailable: '不可用' }[h.status] || h.status;
  $('health-status').className = h.status === 'ready' ? 'ok' : h.status === 'degraded' ? 'warn' : 'bad';
  $('health-db').textContent = up(h.checks.postgres);
  $('health-db').className = h.checks.postgres === 'up' ? 'ok' : 'bad';
  $('health-broker').textContent = up(h.checks.kafka);
  $('health-broker').className = h.checks.kafka === 'up' ? 'ok' : 'bad';
  $('health-backlog').textContent = h.outbox ? String(h.outbox.backlog) : '—';
  $('health-age').textContent = h.outbox ? String(Math.round(h.outbox.oldestAgeSeconds)) : '—';
  const relay = h.checks.relay;
  $('health-relay').textContent = relay ? `${relay.leader ? '主' : '备'}；上次成功 ${fmtTime(relay.lastSuccessAt)}${relay.lastError ? `；错误：${relay.lastError}` : ''}` : '—';
}

async function loadConnectors() {
  const data = await api('/connectors');
  $('connectors-message').textContent = data.available ? '' : '本进程未启用采集器模块。';
  fillTable('connectors-body', data.connectors, (c) => {
    const run = c.lastRun;
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = '立即运行';
    button.className = 'run-now';
    button.dataset.connector = c.name;
    button.disabled = !c.enabled || c.state === 'running';
    button.addEventListener('click', () => runNow(c.name).catch(showError));
    const action = document.createElement('td');
    action.append(button);
    return [
      cell(c.name),
      cell(c.type),
      cell(CONNECTOR_STATE_ZH[c.state] || c.state, c.state === 'running' ? 'warn' : ''),
      cell(run ? `#${run.runId} ${RUN_STATE_ZH[run.state] || run.state} ${fmtTime(run.finishedAt || run.startedAt)}（新增 ${run.created}，更新 ${run.updated}，拒收 ${run.rejected}）` : '从未运行'),
      cell(c.lastError ? `#${c.lastError.runId} ${c.lastError.message || ''}` : '无', c.lastError ? 'bad' : ''),
      cell(c.nextRunAt ? fmtTime(c.nextRunAt) : c.schedule ? '—' : '仅手动'),
      action,
    ];
  }, '未配置采集器');
  if (data.uploads) $('connectors-body').append(uploadsRow(data.uploads));
}

/** File uploads as a row of the connectors table: waiting and in work, the last 24 hours, the latest failure. */
function uploadsRow(u) {
  const row = document.createElement('tr');
  row.id = 'connectors-uploads';
  const day = u.last24h;
  const link = document.createElement('a');
  link.href = '/console/uploads';
  link.textContent = '上传页面';
  const action = document.createElement('td');
  action.append(link);
  row.append(
    cell('文件上传'),
    cell(u.type),
    cell(u.state === 'running' ? `处理中（排队 ${u.queued}，处理 ${u.running}）` : '空闲', u.state === 'running' ? 'warn' : ''),
    cell(`24 小时内 ${day.uploads} 个文件（完成 ${day.done}，失败 ${day.failed}）：入库 ${day.stored}，未变更 ${day.unchanged}，拒收 ${day.rejected}`),
    cell(u.lastError ? `${u.lastError.uploadId} ${(u.lastError.error && u.lastError.error.zh) || ''}` : '无', u.lastError ? 'bad' : ''),
    cell('按需上传'),
    action,
  );
  return row;
}

async function runNow(name) {
  const result = await api(`/connectors/${encodeURIComponent(name)}/runs`, { method: 'POST', body: '{}' });
  $('connectors-run-message').textContent = result.started
    ? `已启动采集器 ${name}（运行号 #${result.runId}）`
    : `采集器 ${name} 未启动：${{ disabled: '未启用', running_here: '正在运行', running_elsewhere: '正在其他网关进程运行', unknown: '未知采集器' }[result.reason] || result.reason}`;
  await loadConnectors();
  // follow the run until it ends
  for (let i = 0; i < 60 && result.started; i++) {
    await new Promise((r) => setTimeout(r, 500));
    const data = await api('/connectors');
    const c = data.connectors.find((x) => x.name === name);
    if (c && c.lastRun && c.lastRun.runId === result.runId && c.lastRun.state !== 'running') break;
  }
  await Promise.all([loadConnectors(), loadRejects(), loadPending(), loadThroughput()]);
}

async function loadRejects() {
  const data = await api('/rejects');
  fillTable('quarantine-body', data.quarantine, (q) => [
    cell(fmtTime(q.at)), cell(q.connector), cell(q.sourceKey),
    cell(Array.isArray(q.errors) ? q.errors.map((e) => e.zh || e.message || e.rule).join('；') : JSON.stringify(q.errors)),
  ], data.available ? '没有隔离数据' : '采集器表不可用');
  fillTable('rejected-runs-body', data.runs, (r) => [
    cell(`#${r.runId}`), cell(r.connector), cell(RUN_STATE_ZH[r.state] || r.state, r.state === 'succeeded' ? '' : 'bad'), cell(r.rejected), cell(r.error),
  ], '没有拒收或失败的运行');
}

async function loadDeliveries() {
  const data = await api('/deliveries');
  fillTable('delivery-counts-body', data.destinations, (d) => {
    const count = (state) => String((data.counts.find((c) => c.destination === d.name && c.state === state) || { count: 0 }).count);
    return [cell(d.name), cell(WAY_ZH[d.way] || d.way), cell(count('queued')), cell(count('delivered')), cell(count('accepted')),
      cell(count('rejected'), count('rejected') !== '0' ? 'bad' : ''), cell(count('parked'), count('parked') !== '0' ? 'bad' : '')];
  }, '没有配置交付方式的目的地');
  fillTable('delivery-by-source-body', data.rejectedBySource, (r) => [cell(r.destination), cell(r.sourceSystem), cell(String(r.rejected), 'bad')], '没有被拒收的记录');
  fillTable('delivery-rejected-body', data.rejected, (r) => {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = '重新交付';
    button.className = 'redeliver';
    button.dataset.record = r.recordId;
    button.addEventListener('click', () => redeliverRecord(r.destination, r.recordId).catch(showError));
    const action = document.createElement('td');
    action.append(button);
    return [cell(fmtTime(r.feedbackAt)), cell(r.destination), cell(r.sourceSystem), cell(CATEGORY_ZH[r.category] || r.category),
      cell(r.recordId), cell(String(r.recordVersion)), cell(r.reason || '', 'bad'), cell(r.field || ''), action];
  }, '没有被拒收的记录');
}

async function redeliverRecord(destination, recordId) {
  const result = await api(`/deliveries/${encodeURIComponent(destination)}/records/${encodeURIComponent(recordId)}/redelivery`, { method: 'POST', body: '{}' });
  $('delivery-message').textContent = `已安排重新交付：记录 ${recordId} → ${destination}（新事件 ${result.delivery.eventId}）`;
  await loadDeliveries();
}

async function loadPending() {
  const data = await api('/pending');
  $('pending-count').textContent = `共 ${data.count} 条`;
  fillTable('pending-body', data.latest, (p) => [
    cell(fmtTime(p.updatedAt)), cell(CATEGORY_ZH[p.category] || p.category), cell(p.name), cell(p.orgCode || '—'), cell(p.region), cell(p.sourceSystem),
  ], '没有待识别主体的记录');
}

async function loadThroughput() {
  const data = await api('/throughput?hours=24');
  barChart($('chart-throughput'), data.buckets.map((b) => {
    const total = b.created + b.updated + b.statusChanged;
    const hour = new Date(b.hour).toLocaleTimeString('zh-CN', { timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit', hour12: false });
    return { label: hour, value: total, title: `${hour}：新增 ${b.created}，更新 ${b.updated}，状态变更 ${b.statusChanged}` };
  }));
}

async function loadRanking() {
  const period = $('ranking-period').value.trim();
  const level = $('ranking-level').value;
  const query = `period=${encodeURIComponent(period)}&level=${encodeURIComponent(level)}`;
  const report = await api(`/ranking?${query}`);
  $('ranking-period').value = report.period.id;
  $('ranking-csv').href = `/console/api/ranking?period=${encodeURIComponent(report.period.id)}&level=${encodeURIComponent(level)}&format=csv`;
  const rows = report.rows;
  fillTable('ranking-body', rows, (r) => [
    cell(r.rank), cell(r.code), cell(r.name), cell(r.score.toFixed(2), r.score < 60 ? 'bad' : ''),
    cell(r.activeNegative.total), cell(r.activeNegative.bySeverity.severe), cell(r.newInPeriod.total), cell(r.debtorSubjects), cell(r.unresolvedPaymentDefaults),
  ], '本期没有政府机构失信记录（所有地区得分 100）');
  barChart($('chart-ranking'), rows.slice(0, 30).map((r) => ({
    label: r.name.length > 5 ? r.name.slice(0, 5) : r.name, value: r.score, title: `${r.rank}. ${r.name}：${r.score.toFixed(2)} 分`,
    color: r.score < 60 ? '#c81e1e' : '#1a56db',
  })), { max: 100 });
}

async function lookUpSubject() {
  const uscc = $('subject-uscc').value.trim();
  const data = await api(`/subjects/${encodeURIComponent(uscc)}`);
  $('subject-summary').textContent = data.records.length
    ? `${data.name || ''}（${data.uscc}，${data.kindZh || '未知类型'}，区划 ${data.region || '—'}）：共 ${data.records.length} 条记录`
    : `${data.uscc}：没有记录`;
  fillTable('subject-body', data.records, (r) => [
    cell(CATEGORY_ZH[r.category] || r.category), cell(SEVERITY_ZH[r.severity] || '—'), cell(STATUS_ZH[r.status] || r.status, `status-${r.status}`),
    cell(r.version), cell(r.decidedAt), cell(r.publishUntil || '长期'), cell(r.sourceSystem), cell(fmtTime(r.updatedAt)),
  ], '没有记录');
}

async function loadObjections() {
  const data = await api('/objections');
  $('objections-message').textContent = data.available ? '' : '异议处理表不可用';
  fillTable('objections-body', data.objections, (o) => [
    cell(`${o.subjectName || ''} ${o.uscc || ''}`), cell(fmtTime(o.filedAt)), cell(`${fmtTime(o.deadlineAt)}${o.overdue ? '（已超期）' : ''}`, o.overdue ? 'bad' : ''),
  ], '没有待处理的异议');
}

async function loadAlerts() {
  const data = await api('/alerts');
  const list = $('alerts-list');
  list.replaceChildren();
  for (const a of data.alerts) {
    const li = document.createElement('li');
    const what = a.kind === 'government_severe_record'
      ? `${a.details.subjectName || a.uscc}（${a.details.regionName}）${CATEGORY_ZH[a.details.category] || a.details.category}`
      : a.kind === 'region_score_below_threshold'
        ? `${a.details.regionName} ${a.period} 得分 ${a.score}（阈值 ${a.threshold}）`
        : a.kind === 'delivery_rejections'
          ? `${a.details.destination} 近一小时答复 ${a.details.answered} 条，拒收 ${a.details.rejected} 条（阈值 ${a.details.threshold}）`
          : a.kind === 'delivery_parked'
            ? `${a.details.destination}：${a.details.reason}`
            : a.kind === 'console_lockout'
              ? `${a.details.username || ''}`
              : `${a.connector} 运行 #${a.connectorRunId}：${a.details.message}`;
    li.textContent = `${fmtTime(a.raisedAt)} ${ALERT_KIND_ZH[a.kind] || a.kind}：${what}`;
    list.append(li);
  }
  if (!data.alerts.length) list.textContent = '暂无预警';
}

// ---------------------------------------------------------------------------------------------
// Sign-in and start-up

function showSignIn() {
  $('app').hidden = true;
  $('whoami').hidden = true;
  $('sign-in').hidden = false;
}

async function showApp(session) {
  csrfToken = session.csrfToken;
  $('sign-in').hidden = true;
  $('app').hidden = false;
  $('whoami').hidden = false;
  $('operator-name').textContent = `运维人员：${session.username}`;
  await refreshAll();
}

async function refreshAll() {
  // aria-busy while the dashboard's requests run (assistive technology, and the browser test, wait for it)
  $('app').setAttribute('aria-busy', 'true');
  const results = await Promise.allSettled([loadHealth(), loadConnectors(), loadRejects(), loadDeliveries(), loadPending(), loadThroughput(), loadRanking(), loadObjections(), loadAlerts()]);
  $('app').setAttribute('aria-busy', 'false');
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) showError(failed.reason);
  else clearError();
}

async function signIn(event) {
  event.preventDefault();
  const form = new FormData(event.target);
  $('sign-in-message').textContent = '';
  try {
    const session = await api('/session', { method: 'POST', body: JSON.stringify({ username: form.get('username'), password: form.get('password') }) });
    await showApp(session);
  } catch (err) {
    $('sign-in-message').textContent = err.message;
  }
}

async function signOut() {
  await api('/session', { method: 'DELETE', body: '{}' }).catch(() => undefined);
  csrfToken = null;
  showSignIn();
}

async function start() {
  $('sign-in-form').addEventListener('submit', signIn);
  $('sign-out').addEventListener('click', signOut);
  $('ranking-form').addEventListener('submit', (e) => { e.preventDefault(); loadRanking().then(clearError, showError); });
  $('subject-form').addEventListener('submit', (e) => { e.preventDefault(); lookUpSubject().then(clearError, showError); });
  try {
    const session = await api('/session');
    if (session.signedIn) await showApp(session);
    else {
      showSignIn();
      if (!session.operatorsConfigured) {
        $('sign-in-message').textContent = '尚未配置运维人员账号：运行 npm run operator:add -- <用户名>，把输出加入 CONFIG_FILE 指定的配置文件后重启网关。';
      }
    }
  } catch (err) {
    showError(err);
  }
  setInterval(() => {
    if (!$('app').hidden) Promise.all([loadHealth(), loadConnectors()]).catch(showError);
  }, 10_000);
}

document.addEventListener('DOMContentLoaded', () => { start(); });
