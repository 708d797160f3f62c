package main

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// config is what a synthesized workspace looks like.
type config struct {
	Files   int     // .proto files, the giant one included
	Dirs    int     // directories (= packages), the giant one's included
	Seed    uint64  // everything random comes from this
	GiantMB float64 // size of the one giant file; 0 for none
}

// protoFile is one planned file: its place, package and the names of the
// top-level definitions it will hold. Rendering fills in the bodies.
type protoFile struct {
	dir        string // slash path relative to the module root, "acme/billing/account/v1"
	base       string // "account.proto"
	pkg        string // "acme.billing.account.v1"
	index      int    // position in the global order; imports point only backwards
	giant      bool
	dirIdx     int
	area       string   // "" for a shared package
	common     bool     // a shared package, which every other may import
	msgs       []string // top-level messages besides rpc requests and responses
	enums      []string
	hasService bool
	service    string // service name, set by planService
	rpcs       []rpcPlan
	deps       []*protoFile // files it may import
}

func (f *protoFile) path() string { return f.dir + "/" + f.base }

// rpcPlan is one method of a file's service.
type rpcPlan struct {
	verb     string
	name     string
	resource typeRef // the resource the method acts on
	req      string  // request message name, in the file's package
	resp     string  // response message name; "" when the method returns the resource or Empty
	clientSt bool
	serverSt bool
}

// typeRef names a message or enum from the point of view of one file.
type typeRef struct {
	name string // as written in the referring file
	file *protoFile
	enum bool
}

// planner hands out names that are unique in their package.
type planner struct {
	names map[string]map[string]bool // package -> top-level names taken
}

func (p *planner) take(pkg, name string) bool {
	set := p.names[pkg]
	if set == nil {
		set = map[string]bool{}
		p.names[pkg] = set
	}
	if set[name] {
		return false
	}
	set[name] = true
	return true
}

// unique returns mk() or mk() with a numeric suffix, whichever is free first.
func (p *planner) unique(pkg string, mk func() string) string {
	for range 8 {
		if n := mk(); p.take(pkg, n) {
			return n
		}
	}
	base := mk()
	for i := 2; ; i++ {
		if n := fmt.Sprintf("%s%d", base, i); p.take(pkg, n) {
			return n
		}
	}
}

// plan lays out directories, files, top-level names, imports and services.
func plan(cfg config, r *rand.Rand) ([]*protoFile, *planner, error) {
	if cfg.Files < 1 || cfg.Dirs < 1 {
		return nil, nil, fmt.Errorf("-files and -dirs must be at least 1")
	}
	giant := cfg.GiantMB > 0
	regularDirs, regularFiles := cfg.Dirs, cfg.Files
	if giant {
		regularDirs--
		regularFiles--
	}
	if regularFiles < regularDirs {
		return nil, nil, fmt.Errorf("-files (%d) must be at least -dirs (%d)", cfg.Files, cfg.Dirs)
	}
	p := &planner{names: map[string]map[string]bool{}}

	// Directories. First a few shared packages, acme/<name>/v1, like
	// googleapis' google/type, google/rpc and google/longrunning: every
	// package may import them. Then the service packages,
	// acme/<area>/<service>/<version>, grouped by area, which import their
	// own package, the shared ones and now and then an earlier package of
	// their area. So a package's transitive imports stay few, as in
	// googleapis, instead of reaching across the whole tree.
	type dirPlan struct{ path, pkg, area string }
	var dirs []dirPlan
	nCommon := min(regularDirs, max(1, regularDirs/16))
	for i := range nCommon {
		name := commonNames[i%len(commonNames)]
		if i >= len(commonNames) {
			name += fmt.Sprint(i / len(commonNames))
		}
		dirs = append(dirs, dirPlan{path: "acme/" + name + "/v1", pkg: "acme." + name + ".v1"})
	}
	var services []dirPlan
	usedSvc := map[string]bool{}
	nAreas := max(1, min(len(areas), (regularDirs-nCommon+9)/10))
	for i := 0; nCommon+len(services) < regularDirs; i++ {
		area := areas[i%nAreas]
		svc := pick(r, nouns)
		for usedSvc[area+"/"+svc] {
			svc = pick(r, nouns) + "_" + pick(r, nouns)
		}
		usedSvc[area+"/"+svc] = true
		services = append(services, dirPlan{path: "acme/" + area + "/" + svc + "/v1", pkg: "acme." + area + "." + svc + ".v1", area: area})
		if r.IntN(10) == 0 && nCommon+len(services) < regularDirs {
			services = append(services, dirPlan{path: "acme/" + area + "/" + svc + "/v1beta1", pkg: "acme." + area + "." + svc + ".v1beta1", area: area})
		}
	}
	slices.SortStableFunc(services, func(a, b dirPlan) int { return strings.Compare(a.path, b.path) })
	dirs = append(dirs, services...)

	// Files per directory: one each, the rest spread by random weights.
	counts := make([]int, len(dirs))
	weights := make([]float64, len(dirs))
	total := 0.0
	for i := range dirs {
		counts[i] = 1
		weights[i] = 0.2 + r.Float64()*r.Float64()*3
		total += weights[i]
	}
	for range regularFiles - len(dirs) {
		x := r.Float64() * total
		i := 0
		for ; i < len(weights)-1 && x >= weights[i]; i++ {
			x -= weights[i]
		}
		counts[i]++
	}

	var files []*protoFile
	for di, d := range dirs {
		usedBase := map[string]bool{}
		var dirFiles []*protoFile
		nService := 0
		for range counts[di] {
			if r.IntN(4) == 0 {
				nService++
			}
		}
		if nService == counts[di] && counts[di] > 1 {
			nService--
		}
		for k := range counts[di] {
			svc := k >= counts[di]-nService
			var base string
			for {
				if svc {
					base = pick(r, nouns) + "_service.proto"
				} else {
					base = pick(r, nouns) + ".proto"
					if r.IntN(3) == 0 {
						base = pick(r, qualifiers) + "_" + base
					}
				}
				if !usedBase[base] {
					break
				}
			}
			usedBase[base] = true
			dirFiles = append(dirFiles, &protoFile{dir: d.path, base: base, pkg: d.pkg, area: d.area, common: di < nCommon, dirIdx: di, hasService: svc})
		}
		files = append(files, dirFiles...)
	}
	if giant {
		g := &protoFile{dir: "acme/compute/v1", base: "compute.proto", pkg: "acme.compute.v1", giant: true, dirIdx: len(dirs)}
		files = append(files, g)
	}
	for i, f := range files {
		f.index = i
	}

	// Top-level names, imports and services, in order: a file may import
	// only files before it in its own directory or files of directories
	// before its own, so neither files nor packages form cycles.
	for i, f := range files {
		if f.giant {
			continue
		}
		for range 2 + r.IntN(7) {
			f.msgs = append(f.msgs, p.unique(f.pkg, func() string {
				if r.IntN(2) == 0 {
					return camel(pick(r, qualifiers), pick(r, nouns))
				}
				return camel(pick(r, nouns))
			}))
		}
		for range r.IntN(4) {
			f.enums = append(f.enums, p.unique(f.pkg, func() string { return camel(pick(r, nouns)) + pick(r, enumSuffixes) }))
		}
		f.deps = chooseDeps(r, files[:i], f)
		if f.hasService {
			planService(p, r, f)
		}
	}
	return files, p, nil
}

// chooseDeps picks up to three earlier files: mostly of the same package
// or of a shared package, now and then of an earlier package of the same
// area. A service file has at least one.
func chooseDeps(r *rand.Rand, earlier []*protoFile, f *protoFile) []*protoFile {
	var same, common, area []*protoFile
	for _, e := range earlier {
		switch {
		case e.giant:
		case e.dir == f.dir:
			same = append(same, e)
		case e.common:
			common = append(common, e)
		case !f.common && e.area == f.area:
			area = append(area, e)
		}
	}
	n := r.IntN(4)
	if f.hasService {
		n = 1 + r.IntN(3)
	}
	sameShare := 11 // of 20
	if f.common {
		sameShare = 17 // shared packages mostly stand alone
	}
	var deps []*protoFile
	for range n {
		var from []*protoFile
		switch x := r.IntN(20); {
		case x < sameShare && len(same) > 0:
			from = same
		case x < 19 && len(common) > 0:
			from = common
		case len(area) > 0:
			from = area
		case len(same) > 0:
			from = same
		default:
			continue
		}
		if d := pick(r, from); !slices.Contains(deps, d) {
			deps = append(deps, d)
		}
	}
	return deps
}

// planService names the service, its methods and their messages.
func planService(p *planner, r *rand.Rand, f *protoFile) {
	stem := strings.TrimSuffix(f.base, "_service.proto")
	f.service = p.unique(f.pkg, func() string { return camel(stem) + "Service" })
	// Resources: the file's own messages and the messages of same-package
	// dependencies.
	var resources []typeRef
	for _, m := range f.msgs[:max(1, len(f.msgs)/2)] {
		resources = append(resources, typeRef{name: m, file: f})
	}
	for _, d := range f.deps {
		if len(d.msgs) > 0 {
			resources = append(resources, typeRef{name: qualify(f, d, d.msgs[0]), file: d})
		}
	}
	seen := map[string]bool{}
	for range 2 + r.IntN(9) {
		res := pick(r, resources)
		verb := pick(r, verbs)
		short := res.name[strings.LastIndexByte(res.name, '.')+1:]
		name := verb + short
		if verb == "List" || verb == "Batch" || verb == "Search" {
			name += "s"
		}
		if seen[name] {
			continue
		}
		seen[name] = true
		rp := rpcPlan{verb: verb, name: name, resource: res}
		if !p.take(f.pkg, name+"Request") {
			continue
		}
		rp.req = name + "Request"
		switch verb {
		case "Get", "Create", "Update", "Restore", "Move":
		case "Delete", "Cancel":
		default:
			if p.take(f.pkg, name+"Response") {
				rp.resp = name + "Response"
			}
		}
		rp.serverSt = verb == "Watch"
		rp.clientSt = verb == "Import"
		f.rpcs = append(f.rpcs, rp)
	}
}

// qualify is how file f writes the name of a top-level type of file d.
func qualify(f, d *protoFile, name string) string {
	if f.pkg == d.pkg {
		return name
	}
	return d.pkg + "." + name
}
