//go:build unix && !linux

package pgtest

import "syscall"

// setDeathSignal does nothing: only Linux has a parent-death signal. A test process
// killed before Main runs leaves its postmaster running here until the next run's
// removeStaleClusterDirs deletes its data directory.
func setDeathSignal(*syscall.SysProcAttr) {}

// fastBase returns "": no known large tmpfs.
func fastBase() string { return "" }
