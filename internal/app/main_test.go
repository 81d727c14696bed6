package app_test

import (
	"testing"

	"github.com/market4/market4/internal/store/storetest"
)

// TestMain stops the throwaway PostgreSQL cluster (if one was started)
// when this package's tests end.
func TestMain(m *testing.M) { storetest.Main(m) }
