package pyserver

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of /proc/<pid>/stat times (USER_HZ, 100 on every
// Linux architecture Go supports).
const clockTick = 10 * time.Millisecond

// CPU returns the user plus system CPU time the server's live processes
// (the launcher and its workers, one process group) have used so far.
// It reads /proc, so it works on Linux only; its resolution is 10ms.
func (s *Server) CPU() (time.Duration, error) {
	if runtime.GOOS != "linux" {
		return 0, errors.New("server cpu time: only measured on linux")
	}
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		return 0, err
	}
	var total time.Duration
	for _, path := range stats {
		data, err := os.ReadFile(path)
		if err != nil {
			continue // the process went away
		}
		// The command name may hold spaces and parentheses; the fields
		// after its closing parenthesis start with the state (field 3).
		i := strings.LastIndexByte(string(data), ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(data[i+1:]))
		if len(f) < 13 {
			continue
		}
		if pgrp, _ := strconv.Atoi(f[2]); pgrp != s.PID {
			continue
		}
		utime, _ := strconv.ParseInt(f[11], 10, 64)
		stime, _ := strconv.ParseInt(f[12], 10, 64)
		total += time.Duration(utime+stime) * clockTick
	}
	return total, nil
}
