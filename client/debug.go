package client

import (
	"fmt"
	"html"
	"net"
	"net/http"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// debugServer serves the pprof profiles in the format of net/http/pprof
// (so `go tool pprof http://ADDR/debug/pprof/heap` works) and the metrics.
// It does not import net/http/pprof, whose init registers the profiles on
// http.DefaultServeMux of every program that links this package.
type debugServer struct {
	srv *http.Server
	lis net.Listener
}

func startDebug(addr string, reg prometheus.Registerer) (*debugServer, error) {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("debug listener %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", profileHandler)
	mux.HandleFunc("/debug/pprof/profile", cpuProfileHandler)
	g, ok := reg.(prometheus.Gatherer)
	if !ok {
		g = prometheus.DefaultGatherer
	}
	mux.Handle("/metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{}))
	d := &debugServer{srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, lis: lis}
	go func() { _ = d.srv.Serve(lis) }()
	return d, nil
}

func (d *debugServer) close() error { return d.srv.Close() }

// profileHandler serves /debug/pprof/ (an index) and /debug/pprof/NAME
// (heap, goroutine, allocs, block, mutex, threadcreate; ?debug=1 for text).
func profileHandler(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/debug/pprof/")
	if name == "" {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<html><body><p>profiles:</p><ul>\n")
		for _, p := range pprof.Profiles() {
			n := html.EscapeString(p.Name())
			fmt.Fprintf(w, "<li><a href=\"%s?debug=1\">%s</a> (%d)</li>\n", n, n, p.Count())
		}
		fmt.Fprint(w, "<li><a href=\"profile?seconds=30\">profile</a> (CPU)</li></ul></body></html>\n")
		return
	}
	p := pprof.Lookup(name)
	if p == nil {
		http.Error(w, "unknown profile "+strconv.Quote(name), http.StatusNotFound)
		return
	}
	debug, _ := strconv.Atoi(r.FormValue("debug"))
	if debug > 0 {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	} else {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	}
	if name == "heap" && r.FormValue("gc") != "" {
		// As net/http/pprof: ?gc=1 collects garbage first.
		runtime.GC()
	}
	_ = p.WriteTo(w, debug)
}

// cpuProfileHandler serves a CPU profile of ?seconds=N (default 30).
func cpuProfileHandler(w http.ResponseWriter, r *http.Request) {
	sec, err := strconv.Atoi(r.FormValue("seconds"))
	if err != nil || sec <= 0 {
		sec = 30
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="profile"`)
	if err := pprof.StartCPUProfile(w); err != nil {
		http.Error(w, "cpu profile: "+err.Error(), http.StatusInternalServerError)
		return
	}
	select {
	case <-time.After(time.Duration(sec) * time.Second):
	case <-r.Context().Done():
	}
	pprof.StopCPUProfile()
}
