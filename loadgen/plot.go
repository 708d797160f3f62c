package loadgen

import (
	"fmt"
	"html"
	"io"
	"math"
	"strings"
)

// Plot geometry.
const (
	plotWidth   = 980
	plotMarginL = 70
	plotMarginR = 20
	barTop      = 40
	barHeight   = 220
	curveTop    = barTop + barHeight + 110
	curveHeight = 320
	legendRow   = 16
)

// hues colour the strategies (red, blue, green); the runs of one
// strategy get darker to lighter shades of its hue, in order.
var hues = map[Strategy]int{PerCall: 0, Single: 215, Pool: 130}

// dashes tells the strategies apart in the latency panel.
var dashes = map[Strategy]string{PerCall: "6,4", Single: "2,3", Pool: ""}

// Plot writes an SVG with two panels: the QPS of every run as bars, and
// every run's latency by percentile (a log-latency axis against a
// log(1/(1-p)) percentile axis, so p99 and p99.9 get as much room as p50
// and p90).
func Plot(w io.Writer, title string, results []*Result) error {
	colors := shades(results)
	var b strings.Builder
	height := curveTop + curveHeight + 60 + legendRow*len(results)
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`+"\n", plotWidth, height, plotWidth, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%d" y="20" font-size="14" font-weight="bold">%s</text>`+"\n", plotMarginL, esc(title))
	plotBars(&b, results, colors)
	plotCurves(&b, results, colors)
	// Legend.
	y := curveTop + curveHeight + 50
	for i, r := range results {
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2.5" stroke-dasharray="%s"/>`+"\n", plotMarginL, y-4, plotMarginL+30, y-4, colors[i], dashes[r.Strategy])
		fmt.Fprintf(&b, `<text x="%d" y="%d">%s: %.0f qps, p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, %d errors</text>`+"\n", plotMarginL+38, y, esc(label(r)), r.QPS, r.P50, r.P99, r.P999, r.Errors)
		y += legendRow
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func plotBars(b *strings.Builder, results []*Result, colors []string) {
	inner := plotWidth - plotMarginL - plotMarginR
	maxQPS := 0.0
	for _, r := range results {
		maxQPS = math.Max(maxQPS, r.QPS)
	}
	top := niceCeil(maxQPS)
	fmt.Fprintf(b, `<text x="%d" y="%d" font-weight="bold">throughput (calls/s)</text>`+"\n", plotMarginL, barTop-6)
	for i := 0; i <= 4; i++ {
		v := top * float64(i) / 4
		y := float64(barTop+barHeight) - float64(barHeight)*float64(i)/4
		fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>`+"\n", plotMarginL, y, plotWidth-plotMarginR, y)
		fmt.Fprintf(b, `<text x="%d" y="%.1f" text-anchor="end">%.0f</text>`+"\n", plotMarginL-6, y+4, v)
	}
	if len(results) == 0 || top == 0 {
		return
	}
	slot := float64(inner) / float64(len(results))
	for i, r := range results {
		h := float64(barHeight) * r.QPS / top
		x := float64(plotMarginL) + slot*float64(i) + slot*0.15
		fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s: %.0f qps</title></rect>`+"\n",
			x, float64(barTop+barHeight)-h, slot*0.7, h, colors[i], esc(label(r)), r.QPS)
		cx := x + slot*0.35
		cy := float64(barTop + barHeight + 8)
		fmt.Fprintf(b, `<text transform="translate(%.1f,%.1f) rotate(40)" font-size="10">%s</text>`+"\n", cx, cy, esc(label(r)))
	}
}

func plotCurves(b *strings.Builder, results []*Result, colors []string) {
	inner := float64(plotWidth - plotMarginL - plotMarginR)
	fmt.Fprintf(b, `<text x="%d" y="%d" font-weight="bold">latency by percentile (ms, log scale)</text>`+"\n", plotMarginL, curveTop-8)
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range results {
		for _, v := range r.Curve {
			if v > 0 {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	if math.IsInf(lo, 1) {
		lo, hi = 0.1, 1
	}
	dlo, dhi := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	if dhi <= dlo {
		dhi = dlo + 1
	}
	xmax := -math.Log10(1 - CurveQuantiles[len(CurveQuantiles)-1])
	xOf := func(p float64) float64 { return float64(plotMarginL) + inner*(-math.Log10(1-p))/xmax }
	yOf := func(ms float64) float64 {
		return float64(curveTop+curveHeight) - float64(curveHeight)*(math.Log10(ms)-dlo)/(dhi-dlo)
	}
	for d := dlo; d <= dhi; d++ {
		y := yOf(math.Pow(10, d))
		fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>`+"\n", plotMarginL, y, plotWidth-plotMarginR, y)
		fmt.Fprintf(b, `<text x="%d" y="%.1f" text-anchor="end">%g</text>`+"\n", plotMarginL-6, y+4, math.Pow(10, d))
	}
	for _, p := range []float64{0.5, 0.9, 0.99, 0.999, 0.9999} {
		x := xOf(p)
		fmt.Fprintf(b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>`+"\n", x, curveTop, x, curveTop+curveHeight)
		fmt.Fprintf(b, `<text x="%.1f" y="%d" text-anchor="middle">p%g</text>`+"\n", x, curveTop+curveHeight+16, p*100)
	}
	for i, r := range results {
		var pts []string
		for j, v := range r.Curve {
			if v > 0 && j < len(CurveQuantiles) {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", xOf(CurveQuantiles[j]), yOf(v)))
			}
		}
		if len(pts) == 0 {
			continue
		}
		fmt.Fprintf(b, `<polyline fill="none" stroke="%s" stroke-width="1.8" stroke-dasharray="%s" points="%s"><title>%s</title></polyline>`+"\n",
			colors[i], dashes[r.Strategy], strings.Join(pts, " "), esc(label(r)))
	}
}

// shades gives each run a colour: its strategy's hue, from dark (its
// first run) to light (its last).
func shades(results []*Result) []string {
	total := map[Strategy]int{}
	for _, r := range results {
		total[r.Strategy]++
	}
	seen := map[Strategy]int{}
	out := make([]string, len(results))
	for i, r := range results {
		light := 30.0
		if n := total[r.Strategy]; n > 1 {
			light += 40 * float64(seen[r.Strategy]) / float64(n-1)
		}
		seen[r.Strategy]++
		out[i] = fmt.Sprintf("hsl(%d,70%%,%.0f%%)", hues[r.Strategy], light)
	}
	return out
}

func esc(s string) string { return html.EscapeString(s) }

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 0
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}
