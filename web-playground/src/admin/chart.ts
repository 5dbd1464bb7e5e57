// The sign-in chart (Chart.js, bundled; only the parts used are registered so
// the bundle stays small). Bars: people who signed in per day, stacked by cycle
// day. Lines on a second axis: rewards and milestone bonuses paid (points).
// Chart.js draws on a canvas and sets only inline style attributes, which the
// service's Content-Security-Policy allows ('unsafe-inline' styles, no eval).
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LineController,
  LineElement,
  LinearScale,
  PointElement,
  Tooltip,
  type ChartDataset,
} from 'chart.js';

import { chartSeries, dayFooter, type DailyStats } from './chart-data';

Chart.register(BarController, BarElement, CategoryScale, Legend, LineController, LineElement, LinearScale, PointElement, Tooltip);

/** Day 1 light to day 7 dark: a longer streak reads as a deeper colour. */
const DAY_COLOURS = ['#b3d4f5', '#94c0ee', '#74abe6', '#5596dc', '#3a80cf', '#2769b7', '#1b5193'];
const REWARD_COLOUR = '#e08a1e';
const BONUS_COLOUR = '#b5399b';

let chart: { destroy(): void } | null = null;

function dark(): boolean {
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ?? false;
}

/** Draws (or redraws) the chart for `days`, oldest first. */
export function renderChart(canvas: HTMLCanvasElement, days: DailyStats[]): void {
  const series = chartSeries(days);
  const labels = series.labels;
  const bars: ChartDataset<'bar', number[]>[] = DAY_COLOURS.map((colour, i) => ({
    type: 'bar',
    label: `Day ${i + 1}`,
    data: series.byCycleDay[i] ?? [],
    backgroundColor: colour,
    stack: 'signed-in',
    yAxisID: 'people',
    order: 2,
  }));
  const line = (label: string, colour: string, data: number[], front: boolean): ChartDataset<'line', number[]> => ({
    type: 'line',
    label,
    data,
    borderColor: colour,
    backgroundColor: colour,
    borderWidth: 2,
    // A dot only where something was paid: a row of dots on zero says nothing.
    pointRadius: (ctx) => (days.length <= 90 && Number(ctx.raw) > 0 ? 3 : 0),
    tension: 0.2,
    yAxisID: 'points',
    // Bonuses are drawn dashed and in front, so they stay visible where they equal the rewards.
    borderDash: front ? [6, 4] : [],
    order: front ? 0 : 1,
  });
  const datasets = [
    ...bars,
    line('Rewards paid', REWARD_COLOUR, series.rewards, false),
    line('Milestone bonuses', BONUS_COLOUR, series.bonuses, true),
  ] as ChartDataset<'bar', number[]>[];

  // The data set is small (at most 366 days): a fresh chart is simpler than patching one.
  chart?.destroy();
  const text = dark() ? '#d0d4da' : '#3b4350';
  const grid = dark() ? 'rgba(255,255,255,0.1)' : 'rgba(0,0,0,0.08)';
  // A bar chart whose two last data sets are drawn as lines (a Chart.js mixed chart).
  chart = new Chart<'bar', number[], string>(canvas, {
    type: 'bar',
    data: { labels, datasets },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: { duration: 300 },
      interaction: { mode: 'index', intersect: false },
      color: text,
      plugins: {
        legend: {
          position: 'bottom',
          // Day 1..7 first, as the bars stack, then the two lines.
          labels: { boxWidth: 12, color: text, sort: (a, b) => (a.datasetIndex ?? 0) - (b.datasetIndex ?? 0) },
        },
        tooltip: {
          callbacks: {
            title: (items) => days[items[0]?.dataIndex ?? 0]?.date ?? '',
            footer: (items) => dayFooter(days[items[0]?.dataIndex ?? 0]),
          },
        },
      },
      scales: {
        x: { stacked: true, ticks: { color: text, maxRotation: 0, autoSkip: true }, grid: { display: false } },
        people: {
          type: 'linear',
          position: 'left',
          stacked: true,
          beginAtZero: true,
          title: { display: true, text: 'people signed in', color: text },
          ticks: { color: text, precision: 0 },
          grid: { color: grid },
        },
        points: {
          type: 'linear',
          position: 'right',
          beginAtZero: true,
          title: { display: true, text: 'points paid', color: text },
          ticks: { color: text, precision: 0 },
          grid: { drawOnChartArea: false },
        },
      },
    },
  });
  canvas.dataset.days = String(days.length);
  canvas.dataset.signedIn = String(series.signedIn);
}
