// DOM building blocks. Text from the server only ever becomes a text node; no HTML string is parsed anywhere.

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An element with attributes (`class`, `data-*`, `aria-*`, ...) and children (nodes, strings, or nothing). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function svg(tag, attributes = {}) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  return node;
}

const DATE_TIME = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const DATE = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

/** A `<time>` element showing an ISO timestamp in the reader's locale. */
export function time(iso, dateOnly = false) {
  if (!iso) return el('span', {}, '–');
  const date = new Date(iso);
  return el('time', { datetime: date.toISOString() }, (dateOnly ? DATE : DATE_TIME).format(date));
}

const ENTITY = /&(?:#(\d{1,7})|#x([0-9a-f]{1,6})|(amp|lt|gt|quot|apos));/gi;
const NAMED = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
/** What the server's escaped snippet may contain: escaped text and `<mark>`/`</mark>`, nothing else. */
const ESCAPED_SNIPPET = /^(?:[^<>&]|&(?:#\d{1,7}|#x[0-9a-f]{1,6}|amp|lt|gt|quot|apos);|<mark>|<\/mark>)*$/i;

function unescape(text) {
  return text.replace(ENTITY, (_, decimal, hex, name) => {
    if (name) return NAMED[name.toLowerCase()];
    const code = decimal ? Number(decimal) : parseInt(hex, 16);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '\uFFFD';
  });
}

/**
 * A search snippet as nodes: the server escapes everything but its `<mark>` elements. That is checked, not
 * trusted: a snippet with any other markup is shown as plain text, tags and all.
 */
export function snippet(text) {
  const container = el('span', { class: 'snippet' });
  if (!ESCAPED_SNIPPET.test(text)) {
    container.textContent = text;
    return container;
  }
  let marked = false;
  for (const part of text.split(/(<\/?mark>)/i)) {
    if (/^<mark>$/i.test(part)) marked = true;
    else if (/^<\/mark>$/i.test(part)) marked = false;
    else if (part) container.append(marked ? el('mark', {}, unescape(part)) : document.createTextNode(unescape(part)));
  }
  return container;
}

/** Health in words, so colour is never the only signal. */
export function healthBand(score) {
  if (score >= 70) return { band: 'good', label: 'healthy' };
  if (score >= 40) return { band: 'watch', label: 'needs attention' };
  return { band: 'risk', label: 'at risk' };
}

const CHART = { width: 168, height: 48, pad: 5 };

/** A small line chart of health scores (0-100), oldest first, described for screen readers. */
export function trendChart(points, companyName) {
  const { width, height, pad } = CHART;
  const scores = points.map((point) => point.score);
  const label = scores.length
    ? `${companyName}: health over the last ${scores.length} period${scores.length === 1 ? '' : 's'}, oldest first: ${scores.join(', ')}`
    : `${companyName}: no health history yet`;
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': label, class: 'trend' });
  const title = svg('title');
  title.textContent = label;
  chart.append(title);
  // Guides at 40 and 70, the bands' edges.
  for (const level of [40, 70]) {
    const y = yOf(level);
    chart.append(svg('line', { x1: pad, x2: width - pad, y1: y, y2: y, class: 'guide' }));
  }
  if (!scores.length) return chart;
  const step = scores.length > 1 ? (width - 2 * pad) / (scores.length - 1) : 0;
  const xy = scores.map((score, index) => [scores.length > 1 ? pad + index * step : width / 2, yOf(score)]);
  if (xy.length > 1) {
    chart.append(svg('polyline', { points: xy.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' '), class: 'line' }));
  }
  const [lastX, lastY] = xy[xy.length - 1];
  chart.append(svg('circle', { cx: lastX.toFixed(1), cy: lastY.toFixed(1), r: 3.5, class: `last ${healthBand(scores[scores.length - 1]).band}` }));
  return chart;

  function yOf(score) {
    const clamped = Math.min(100, Math.max(0, score));
    return pad + ((100 - clamped) / 100) * (height - 2 * pad);
  }
}

/** Replaces a list's items, and shows its "empty" note when there are none. */
export function fill(list, empty, items) {
  list.replaceChildren(...items);
  if (empty) empty.hidden = items.length > 0;
}

export const TREND_WORDS = { improving: 'improving', declining: 'declining', stable: 'stable', new: 'new' };
export const TREND_ARROWS = { improving: '▲', declining: '▼', stable: '▶', new: '•' };
