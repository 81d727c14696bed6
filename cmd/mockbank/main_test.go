package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestConfigValidation(t *testing.T) {
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"no secret", nil, nil, "MARKET4_MOCKBANK_SECRET is required"},
		{"short secret", nil, map[string]string{"MARKET4_MOCKBANK_SECRET": "short"}, "at least 16"},
		{"bad platform url", []string{"--platform-url", "localhost:8080"}, map[string]string{"MARKET4_MOCKBANK_SECRET": "0123456789abcdef"}, "--platform-url"},
		{"stray argument", []string{"serve"}, map[string]string{"MARKET4_MOCKBANK_SECRET": "0123456789abcdef"}, "unexpected argument"},
		{"missing secret file", nil, map[string]string{"MARKET4_MOCKBANK_SECRET_FILE": "/nonexistent/secret"}, "MARKET4_MOCKBANK_SECRET_FILE"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := loadConfig(c.args, env(c.env), io.Discard)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to mention %q", err, c.want)
			}
			if strings.Contains(err.Error(), "short") && c.name == "short secret" {
				t.Fatalf("the secret leaked into the error: %v", err)
			}
		})
	}
}

func TestRunServesAndShutsDown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	out, logs := &syncBuffer{}, &syncBuffer{}
	secret := "0123456789abcdef-secret"
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--addr", "127.0.0.1:0", "--platform-url", "http://127.0.0.1:1"},
			env(map[string]string{"MARKET4_MOCKBANK_SECRET": secret}), out, logs)
	}()
	re := regexp.MustCompile(`mock bank app\s+(http://127\.0\.0\.1:\d+)/mockbank/`)
	var base string
	deadline := time.Now().Add(5 * time.Second)
	for base == "" {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("no URL printed: %q", out.String())
		} else {
			time.Sleep(5 * time.Millisecond)
		}
	}
	for path, want := range map[string]int{"/healthz": 200, "/mockbank/": 200, "/mockbank/v1/accounts": 200,
		"/mockwallet/v1/faults": 200, "/mockwallet/pay/nope": 404} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("GET %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no shutdown")
	}
	if strings.Contains(out.String()+logs.String(), secret) {
		t.Fatal("the secret was printed")
	}
	if !strings.Contains(logs.String(), "development wallet keys") {
		t.Fatalf("no warning about dev keys: %s", logs.String())
	}
}
