package store_test

import (
	"testing"

	"github.com/market4/market4/internal/store/storetest"
	"github.com/market4/market4/internal/translog/translogtest"
)

// TestLogNodeStore holds the store's log_nodes adapter to the translog
// NodeReader/NodeWriter contract on every database.
func TestLogNodeStore(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			translogtest.TestStore(t, func(t *testing.T) translogtest.Store {
				return storetest.Open(t, d).Read()
			})
		})
	}
}
