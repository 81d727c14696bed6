package pgtest

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// binGlob finds Debian/Ubuntu's versioned PostgreSQL installations.
var binGlob = "/usr/lib/postgresql/*/bin"

// clusterDirPrefix names the temporary directories of throwaway clusters; the pid of
// the test process that owns it follows, so stale ones can be recognised.
const clusterDirPrefix = "m4pg-"

// findBinaries returns the directory holding both initdb and postgres: the one of the
// initdb found in path, else the highest version matched by glob; "" if none.
func findBinaries(path, glob string) string {
	var dirs []string
	for _, d := range filepath.SplitList(path) {
		if d != "" {
			dirs = append(dirs, d)
		}
	}
	matches, _ := filepath.Glob(glob)
	dirs = append(dirs, sortByVersionDesc(matches)...)
	for _, d := range dirs {
		if isExecutable(filepath.Join(d, "initdb")) && isExecutable(filepath.Join(d, "postgres")) {
			return d
		}
	}
	return ""
}

// sortByVersionDesc orders directories like /usr/lib/postgresql/<version>/bin from the
// highest version to the lowest, comparing versions numerically (16 > 9.6).
func sortByVersionDesc(dirs []string) []string {
	version := func(dir string) []int {
		var v []int
		for _, part := range strings.Split(filepath.Base(filepath.Dir(dir)), ".") {
			n, err := strconv.Atoi(part)
			if err != nil {
				n = -1
			}
			v = append(v, n)
		}
		return v
	}
	out := slices.Clone(dirs)
	slices.SortStableFunc(out, func(a, b string) int { return slices.Compare(version(b), version(a)) })
	return out
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// ownerPID parses the pid out of a cluster directory name "m4pg-<pid>-<random>".
func ownerPID(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, clusterDirPrefix)
	if !ok {
		return 0, false
	}
	pidStr, _, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, false
	}
	pid, err := strconv.Atoi(pidStr)
	return pid, err == nil && pid > 0
}
