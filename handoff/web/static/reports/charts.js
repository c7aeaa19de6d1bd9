// Reports page charts: thin wrappers over the vendored Chart.js 4 (window.Chart, loaded by a
// deferred classic script before this module). No animation, so what is drawn is final at
// once (screenshots, tests). Each chart has a text table next to it on the page.
const PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777",
                 "#65a30d", "#6b7280"];
const charts = new Map();

function draw(id, config) {
  const old = charts.get(id);
  if (old) old.destroy();
  const canvas = document.getElementById(id);
  if (!window.Chart || !canvas) return null;
  config.options = { animation: false, responsive: true, maintainAspectRatio: false,
                     ...config.options };
  const chart = new window.Chart(canvas, config);
  charts.set(id, chart);
  return chart;
}

export function color(i) { return PALETTE[i % PALETTE.length]; }

/** Weekly lines: `weeks` labels, `series` [{key, counts}]. */
export function lineChart(id, weeks, series) {
  return draw(id, {
    type: "line",
    data: { labels: weeks, datasets: series.map((s, i) => ({
      label: s.key, data: s.counts, borderColor: color(i), backgroundColor: color(i),
      tension: 0.2, pointRadius: 2 })) },
    options: { scales: { y: { beginAtZero: true, title: { display: true, text: "cases" } } },
               plugins: { legend: { position: "bottom" } } },
  });
}

/** Shares: `labels` and `values`. */
export function pieChart(id, labels, values) {
  return draw(id, {
    type: "pie",
    data: { labels, datasets: [{ data: values, backgroundColor: labels.map((_, i) => color(i)) }] },
    options: { plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } } },
  });
}

/** Stacked horizontal bars: `labels`, `stacks` [{label, values}], axis title `unit`. */
export function barChart(id, labels, stacks, unit) {
  return draw(id, {
    type: "bar",
    data: { labels, datasets: stacks.map((s, i) => ({ label: s.label, data: s.values,
                                                      backgroundColor: color(i) })) },
    options: { indexAxis: "y",
               scales: { x: { stacked: true, beginAtZero: true, title: { display: true, text: unit } },
                         y: { stacked: true } },
               plugins: { legend: { position: "bottom" } } },
  });
}

export function clearChart(id) {
  const old = charts.get(id);
  if (old) { old.destroy(); charts.delete(id); }
}
