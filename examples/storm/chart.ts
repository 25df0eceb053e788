import { BUCKET_MS } from './stats.js'

/** One run drawn on a chart: its label and its database queries per 100 ms. */
export interface ChartSeries {
  label: string
  timeline: readonly number[]
}

/** Options of `timelineChart`. */
export interface ChartOptions {
  /** The chart's heading. */
  title: string
  /** The runs, drawn side by side in each 100 ms (the first in red, the second in green). */
  series: readonly ChartSeries[]
  /** A span to shade, in ms from the start (the Redis outage). @default none */
  band?: { from: number; to: number; label: string }
}

const WIDTH = 900
const HEIGHT = 360
const MARGIN = { right: 24, bottom: 48, left: 64 }
const RED = '#d1495b'
const GREEN = '#2e9e5b'
const BLUES = ['#3b6ea8', '#7a5fa8']

/**
 * Draws database queries per 100 ms over time as an SVG bar chart, one colour per run, on a
 * logarithmic scale (so 1 query shows beside 1,000). Pure: same input, same bytes.
 *
 * @example
 * writeFileSync('storm-breakdown.svg', timelineChart({ title: 'breakdown', series: [without, guarded] }))
 */
export function timelineChart(options: ChartOptions): string {
  const { series } = options
  const buckets = Math.max(1, ...series.map((s) => s.timeline.length))
  const top = Math.max(1, ...series.flatMap((s) => s.timeline))
  const plotW = WIDTH - MARGIN.left - MARGIN.right
  // The legend takes one line per run above the plot.
  const marginTop = 40 + 18 * series.length
  const plotH = HEIGHT - marginTop - MARGIN.bottom
  const decades = Math.max(1, Math.ceil(Math.log10(top + 1)))
  const y = (n: number) => marginTop + plotH - (Math.log10(n + 1) / decades) * plotH
  const slot = plotW / buckets
  const barW = Math.min(40, (slot * 0.8) / series.length)
  const x = (bucket: number) => MARGIN.left + bucket * slot

  const parts: string[] = []
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${MARGIN.left}" y="22" font-size="16" font-weight="bold">${escapeXml(options.title)}</text>`,
  )
  if (options.band) {
    const from = x(options.band.from / BUCKET_MS)
    const to = x(options.band.to / BUCKET_MS)
    parts.push(
      `<rect class="band" x="${fmt(from)}" y="${marginTop}" width="${fmt(to - from)}" height="${plotH}" fill="#f2e6c9"/>`,
      `<text x="${fmt(from + 4)}" y="${marginTop + 14}" fill="#7a5c1e">${escapeXml(options.band.label)}</text>`,
    )
  }
  // Horizontal grid at 0, 1, 10, 100, ... queries.
  for (let d = 0; d <= decades + 1; d++) {
    const value = d === 0 ? 0 : 10 ** (d - 1)
    const at = d === 0 ? y(0) : y(value)
    parts.push(
      `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${fmt(at)}" y2="${fmt(at)}" stroke="#e3e3e3"/>`,
      `<text x="${MARGIN.left - 8}" y="${fmt(at + 4)}" text-anchor="end" fill="#555">${value.toLocaleString('en-US')}</text>`,
    )
  }
  series.forEach((s, i) => {
    // The unprotected run first in red, the fully protected one last in green, any between in blue.
    const color = i === 0 ? RED : i === series.length - 1 ? GREEN : BLUES[(i - 1) % BLUES.length]
    const total = s.timeline.reduce((sum, n) => sum + n, 0)
    const peak = Math.max(0, ...s.timeline)
    parts.push(
      `<g class="series" data-label="${escapeXml(s.label)}" data-total="${total}" data-peak="${peak}" fill="${color}">`,
    )
    s.timeline.forEach((n, bucket) => {
      if (n === 0) return
      const left = x(bucket) + (slot - barW * series.length) / 2 + i * barW
      parts.push(
        `<rect x="${fmt(left)}" y="${fmt(y(n))}" width="${fmt(barW)}" height="${fmt(y(0) - y(n))}" data-bucket="${bucket}" data-queries="${n}"><title>${escapeXml(s.label)}: ${n} queries at ${bucket * BUCKET_MS}-${(bucket + 1) * BUCKET_MS} ms</title></rect>`,
      )
    })
    parts.push('</g>')
    const legendY = 32 + i * 18
    parts.push(
      `<rect x="${MARGIN.left}" y="${legendY}" width="12" height="12" fill="${color}"/>`,
      `<text x="${MARGIN.left + 18}" y="${legendY + 10}">${escapeXml(s.label)}: ${total.toLocaleString('en-US')} ${total === 1 ? 'query' : 'queries'}, peak ${peak.toLocaleString('en-US')} per 100 ms</text>`,
    )
  })
  // Time axis: a label every second (or every bucket when the run is short).
  const step = buckets > 20 ? 10 : buckets > 5 ? 2 : 1
  for (let bucket = 0; bucket <= buckets; bucket += step) {
    parts.push(
      `<text x="${fmt(x(bucket))}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle" fill="#555">${formatMs(bucket * BUCKET_MS)}</text>`,
    )
  }
  parts.push(
    `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${fmt(y(0))}" y2="${fmt(y(0))}" stroke="#333"/>`,
    `<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 12}" text-anchor="middle" fill="#333">time from the start of the run (database queries per 100 ms, log scale)</text>`,
    '</svg>',
  )
  return `${parts.join('\n')}\n`
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`
}

function fmt(n: number): string {
  return n.toFixed(1)
}

function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
}
