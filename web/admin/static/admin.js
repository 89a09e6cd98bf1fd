/* Console behaviour without inline script (the CSP allows script only from /admin/static).
   User data reaches this file only through data-* attributes, read as text. */
(function () {
  'use strict';

  // <form data-confirm="..."> asks before submitting; the question is shown as plain text.
  document.addEventListener('submit', function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute('data-confirm');
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // <select data-autosubmit> submits its form when changed.
  document.addEventListener('change', function (event) {
    var el = event.target;
    if (el.hasAttribute && el.hasAttribute('data-autosubmit') && el.form) {
      el.form.submit();
    }
  });

  // Dashboard charts: data from <div id="dashboard-data" data-chart='{...}'>.
  function drawCharts() {
    var holder = document.getElementById('dashboard-data');
    if (!holder || typeof Chart === 'undefined') {
      return;
    }
    var D = JSON.parse(holder.getAttribute('data-chart'));
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    new Chart(document.getElementById('branchChart'), {type: 'bar', data: {
      labels: D.branches.map(function (b) { return b.name.replace('党支部', ''); }),
      datasets: [{label: '办结', data: D.branches.map(function (b) { return b.resolved; }), backgroundColor: '#16a34a'},
                 {label: '未结（未超期）', data: D.branches.map(function (b) { return b.open - b.overdue; }),
                  backgroundColor: '#3b82f6'},
                 {label: '超期', data: D.branches.map(function (b) { return b.overdue; }), backgroundColor: '#dc2626'}]},
      options: {maintainAspectRatio: false, animation: false,
                scales: {x: {stacked: true}, y: {stacked: true, ticks: {precision: 0}}}}});
    new Chart(document.getElementById('dayChart'), {type: 'line', data: {
      labels: D.per_day.map(function (_, i) { return (i + 1) + '日'; }),
      datasets: [{label: '诉求数', data: D.per_day, borderColor: '#b91c1c', backgroundColor: 'rgba(185,28,28,.12)',
                  fill: true, tension: .25}]},
      options: {maintainAspectRatio: false, animation: false, plugins: {legend: {display: false}},
                scales: {y: {ticks: {precision: 0}}}}});
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', drawCharts);
  } else {
    drawCharts();
  }
})();
