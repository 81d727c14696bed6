//go:build !unix

package pgtest

import (
	"context"
	"errors"
	"os/exec"
)

// cluster is not supported here: the code that runs initdb and postgres relies on
// unix sockets, signals and process credentials. Use MARKET4_TEST_DATABASE_URL.
type cluster struct {
	dir string
	cmd *exec.Cmd
}

func startCluster(context.Context, string) (*cluster, error) {
	return nil, errors.New("a throwaway cluster needs a unix system; set " + EnvURL)
}

func (c *cluster) stop() error { return nil }

func removeStaleClusterDirs() {}

func alive(int) bool { return false }
