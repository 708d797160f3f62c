package doctor

import (
	"context"
	"fmt"
	"strings"
)

// checkToolchain reports the cached install of each Go plugin pin and of
// the Python generator environment (one install for all its packages). It
// returns whether the Python environment is installed and verified.
func checkToolchain(ctx context.Context, r *Report, opts Options) bool {
	if opts.Toolchain == nil {
		r.add(Check{Name: "toolchain", Status: Skip, Detail: "no protoctl.lock: no pinned generators"})
		return false
	}
	var pyNames []string
	pyState := ""
	for _, s := range opts.Toolchain.Status(ctx) {
		if !strings.HasPrefix(s.Kind, "go ") {
			pyNames = append(pyNames, s.Name+" "+s.Version)
			pyState = s.State
			continue
		}
		r.add(toolCheck("toolchain "+s.Name, s.Version, s.State))
	}
	if pyNames == nil {
		return false
	}
	what := pyNames[0]
	for _, n := range pyNames {
		if strings.HasPrefix(n, "grpcio-tools ") {
			what = n
		}
	}
	if len(pyNames) > 1 {
		what = fmt.Sprintf("%s and %d more packages", what, len(pyNames)-1)
	}
	c := toolCheck("toolchain python", what, pyState)
	r.add(c)
	return c.Status == OK
}

func toolCheck(name, what, state string) Check {
	switch {
	case state == "installed, verified":
		return Check{Name: name, Status: OK, Detail: what + ": installed, verified"}
	case state == "not installed":
		return Check{Name: name, Status: Warn, Detail: what + ": not installed yet (protoctl gen installs it on first use)", Fix: "protoctl toolchain install"}
	}
	msg := strings.TrimPrefix(state, "BROKEN: ")
	if i := strings.Index(msg, " (fix: "); i >= 0 {
		msg = msg[:i]
	}
	return Check{Name: name, Status: Fail, Detail: fmt.Sprintf("%s: the cached install does not match protoctl.lock: %s", what, msg), Fix: "protoctl toolchain install --force"}
}
