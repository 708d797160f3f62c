//go:build race

package compat_test

// raceEnabled is set when the race detector slows everything down.
const raceEnabled = true
