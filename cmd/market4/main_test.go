package main

import (
	"testing"

	"github.com/market4/market4/internal/store/storetest"
)

// TestMain stops the throwaway PostgreSQL cluster (if one was started).
func TestMain(m *testing.M) { storetest.Main(m) }
