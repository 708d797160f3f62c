package main

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"text/tabwriter"
	"time"
)

func seconds(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

// gib prints a size in GiB, or in MiB below 1 GiB.
func gib(b int64) string {
	if b < 1<<30 {
		return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20))
	}
	return fmt.Sprintf("%.2f GiB", float64(b)/(1<<30))
}

// printTable writes one row per command: median wall, min–max, median CPU,
// median peak RSS, and for every command after a scenario's first the
// medians of the per-round wall and CPU ratios against that first command.
func printTable(w io.Writer, results []*result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\tcommand\truns\twall median\twall min–max\tCPU median\tpeak RSS median\twall ratio\tCPU ratio\t")
	for _, res := range results {
		base := res.scenario.Commands[0].Name
		for i, c := range res.scenario.Commands {
			sum := res.summary(i)
			wr, cr := "", ""
			if i > 0 {
				wr = fmt.Sprintf("%.2f× %s", sum.WallRatio, base)
				cr = fmt.Sprintf("%.2f× %s", sum.CPURatio, base)
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%.2f–%.2f s\t%s\t%s\t%s\t%s\t\n",
				res.scenario.Name, c.Name, len(res.samples[i]), seconds(sum.WallMedian),
				sum.WallMin.Seconds(), sum.WallMax.Seconds(), seconds(sum.CPUMedian), gib(sum.MaxRSSMedian), wr, cr)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, "ratios: median of per-round ratios (run k of a command / run k of the scenario's first command)")
	return err
}

func (res *result) summary(i int) summary {
	var base []sample
	if i > 0 {
		base = res.samples[0]
	}
	return summarize(res.samples[i], base)
}

// The JSON report, for docs/benchmarks.md. Times are in seconds, sizes in
// bytes.
type jsonReport struct {
	Date      time.Time      `json:"date"`
	Host      jsonHost       `json:"host"`
	Dir       string         `json:"dir"`
	Runs      int            `json:"runs"`
	Warmup    int            `json:"warmup"`
	Scenarios []jsonScenario `json:"scenarios"`
}

type jsonHost struct {
	CPUs int    `json:"cpus"`
	OS   string `json:"os"`
	Arch string `json:"arch"`
}

type jsonScenario struct {
	Name       string        `json:"name"`
	Prepare    string        `json:"prepare,omitempty"`
	LoadBefore string        `json:"load_before,omitempty"`
	LoadAfter  string        `json:"load_after,omitempty"`
	Commands   []jsonCommand `json:"commands"`
}

type jsonCommand struct {
	Name         string       `json:"name"`
	Run          string       `json:"run"`
	Prepare      string       `json:"prepare,omitempty"`
	WallMedian   float64      `json:"wall_median_s"`
	WallMin      float64      `json:"wall_min_s"`
	WallMax      float64      `json:"wall_max_s"`
	CPUMedian    float64      `json:"cpu_median_s"`
	MaxRSSMedian int64        `json:"max_rss_median_bytes"`
	RatioTo      string       `json:"ratio_to,omitempty"`
	WallRatio    float64      `json:"wall_ratio_median,omitempty"`
	CPURatio     float64      `json:"cpu_ratio_median,omitempty"`
	Samples      []jsonSample `json:"samples"`
}

type jsonSample struct {
	Wall   float64 `json:"wall_s"`
	User   float64 `json:"user_s"`
	Sys    float64 `json:"sys_s"`
	MaxRSS int64   `json:"max_rss_bytes"`
}

func writeJSON(w io.Writer, s *spec, results []*result, now time.Time) error {
	rep := jsonReport{
		Date:   now.UTC().Truncate(time.Second),
		Host:   jsonHost{CPUs: runtime.NumCPU(), OS: runtime.GOOS, Arch: runtime.GOARCH},
		Dir:    s.Dir,
		Runs:   s.Runs,
		Warmup: s.Warmup,
	}
	for _, res := range results {
		js := jsonScenario{Name: res.scenario.Name, Prepare: res.scenario.Prepare, LoadBefore: res.loadBefore, LoadAfter: res.loadAfter}
		for i, c := range res.scenario.Commands {
			sum := res.summary(i)
			jc := jsonCommand{
				Name: c.Name, Run: c.Run, Prepare: c.Prepare,
				WallMedian: sum.WallMedian.Seconds(), WallMin: sum.WallMin.Seconds(), WallMax: sum.WallMax.Seconds(),
				CPUMedian: sum.CPUMedian.Seconds(), MaxRSSMedian: sum.MaxRSSMedian,
				WallRatio: sum.WallRatio, CPURatio: sum.CPURatio,
			}
			if i > 0 {
				jc.RatioTo = res.scenario.Commands[0].Name
			}
			for _, smp := range res.samples[i] {
				jc.Samples = append(jc.Samples, jsonSample{Wall: smp.Wall.Seconds(), User: smp.User.Seconds(), Sys: smp.Sys.Seconds(), MaxRSS: smp.MaxRSS})
			}
			js.Commands = append(js.Commands, jc)
		}
		rep.Scenarios = append(rep.Scenarios, js)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}
