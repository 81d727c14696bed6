package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// clearEnv unsets every MARKET4_* variable for the test (restored after),
// so the developer's environment cannot leak in.
func clearEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "MARKET4_") {
			t.Setenv(name, "")
			os.Unsetenv(name)
		}
	}
}

func TestConfigDefaults(t *testing.T) {
	clearEnv(t)
	c, err := loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	want := defaultConfig()
	want.PublicURL = "http://localhost:8080"
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("defaults = %+v\nwant       %+v", c, want)
	}
}

func TestConfigFromEnv(t *testing.T) {
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	secretFile := file("secret", "  from-a-file-0123456789\n")
	connsFile := file("conns", "8\n")
	missing := filepath.Join(dir, "missing")

	tests := []struct {
		name  string
		env   map[string]string
		check func(t *testing.T, c config)
		errs  []string // every variable the error must name; nil means valid
	}{
		{"every variable", map[string]string{
			"MARKET4_ADDR": "127.0.0.1:18081", "MARKET4_DATABASE_URL": "postgres://m4@db/market4", "MARKET4_PUBLIC_URL": "https://pay.example.vn/",
			"MARKET4_MOCKBANK_SECRET": "0123456789abcdef", "MARKET4_LOG_LEVEL": "debug", "MARKET4_PAYMENT_TTL": "5m",
			"MARKET4_MAX_BODY_BYTES": "2048", "MARKET4_DB_MAX_CONNS": "32", "MARKET4_TRUSTED_PROXIES": "10.0.0.1, 10.1.0.0/16"},
			func(t *testing.T, c config) {
				want := config{Addr: "127.0.0.1:18081", DatabaseURL: "postgres://m4@db/market4", PublicURL: "https://pay.example.vn",
					MockbankSecret: "0123456789abcdef", LogLevel: "debug", PaymentTTL: 5 * time.Minute, MaxBodyBytes: 2048, DBMaxConns: 32,
					TrustedProxies: []string{"10.0.0.1", "10.1.0.0/16"}}
				if !reflect.DeepEqual(c, want) {
					t.Fatalf("config = %+v\nwant     %+v", c, want)
				}
			}, nil},
		{"public URL follows the address", map[string]string{"MARKET4_ADDR": ":9090"},
			func(t *testing.T, c config) {
				if c.PublicURL != "http://localhost:9090" {
					t.Fatalf("PublicURL = %q", c.PublicURL)
				}
			}, nil},
		{"public URL with a host address", map[string]string{"MARKET4_ADDR": "10.0.0.5:80"},
			func(t *testing.T, c config) {
				if c.PublicURL != "http://10.0.0.5:80" {
					t.Fatalf("PublicURL = %q", c.PublicURL)
				}
			}, nil},
		{"secret from a file", map[string]string{"MARKET4_MOCKBANK_SECRET_FILE": secretFile, "MARKET4_MOCKBANK_SECRET": "ignored-when-a-file-is-given"},
			func(t *testing.T, c config) {
				if c.MockbankSecret != "from-a-file-0123456789" {
					t.Fatalf("secret = %q", c.MockbankSecret)
				}
			}, nil},
		{"number from a file", map[string]string{"MARKET4_DB_MAX_CONNS_FILE": connsFile},
			func(t *testing.T, c config) {
				if c.DBMaxConns != 8 {
					t.Fatalf("DBMaxConns = %d", c.DBMaxConns)
				}
			}, nil},
		{"payment TTL too short", map[string]string{"MARKET4_PAYMENT_TTL": "10s"}, nil, []string{"MARKET4_PAYMENT_TTL"}},
		{"payment TTL not a duration", map[string]string{"MARKET4_PAYMENT_TTL": "15"}, nil, []string{"MARKET4_PAYMENT_TTL"}},
		{"payment TTL too long", map[string]string{"MARKET4_PAYMENT_TTL": "25h"}, nil, []string{"MARKET4_PAYMENT_TTL"}},
		{"body limit too small", map[string]string{"MARKET4_MAX_BODY_BYTES": "100"}, nil, []string{"MARKET4_MAX_BODY_BYTES"}},
		{"body limit not a number", map[string]string{"MARKET4_MAX_BODY_BYTES": "1MB"}, nil, []string{"MARKET4_MAX_BODY_BYTES"}},
		{"no connections", map[string]string{"MARKET4_DB_MAX_CONNS": "0"}, nil, []string{"MARKET4_DB_MAX_CONNS"}},
		{"unknown log level", map[string]string{"MARKET4_LOG_LEVEL": "loud"}, nil, []string{"MARKET4_LOG_LEVEL"}},
		{"short secret", map[string]string{"MARKET4_MOCKBANK_SECRET": "short"}, nil, []string{"MARKET4_MOCKBANK_SECRET"}},
		{"empty database URL", map[string]string{"MARKET4_DATABASE_URL": ""}, nil, []string{"MARKET4_DATABASE_URL"}},
		{"unreadable secret file", map[string]string{"MARKET4_MOCKBANK_SECRET_FILE": missing}, nil, []string{"MARKET4_MOCKBANK_SECRET_FILE"}},
		{"unreadable TTL file", map[string]string{"MARKET4_PAYMENT_TTL_FILE": missing}, nil, []string{"MARKET4_PAYMENT_TTL_FILE"}},
		{"unreadable number file", map[string]string{"MARKET4_MAX_BODY_BYTES_FILE": missing}, nil, []string{"MARKET4_MAX_BODY_BYTES_FILE"}},
		{"every problem at once", map[string]string{"MARKET4_PAYMENT_TTL": "x", "MARKET4_DB_MAX_CONNS": "9999", "MARKET4_LOG_LEVEL": "x"}, nil,
			[]string{"MARKET4_PAYMENT_TTL", "MARKET4_DB_MAX_CONNS", "MARKET4_LOG_LEVEL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			c, err := loadConfig()
			if tt.errs == nil {
				if err != nil {
					t.Fatal(err)
				}
				tt.check(t, c)
				return
			}
			if err == nil {
				t.Fatalf("loadConfig accepted %v: %+v", tt.env, c)
			}
			for _, name := range tt.errs {
				if !strings.Contains(err.Error(), name) {
					t.Errorf("error %q does not name %s", err, name)
				}
			}
		})
	}
}

func TestMaskURL(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://m4:s3cret@db:5432/market4?sslmode=disable": "postgres://m4:****@db:5432/market4?sslmode=disable",
		"postgresql://m4:p@ss@word@db/market4":                 "postgresql://m4:****@db/market4",
		"postgres://m4@db/market4":                             "postgres://m4@db/market4",
		"postgres://db/market4?user=m4&password=s3cret&x=1":    "postgres://db/market4?user=m4&password=****&x=1",
		"host=db user=m4 password=s3cret dbname=market4":       "host=db user=m4 password=**** dbname=market4",
		"host=db password='with spaces' dbname=market4":        "host=db password=**** dbname=market4",
		"host=db PASSWORD = s3cret":                            "host=db PASSWORD = ****",
		"market4.db":                                           "market4.db",
		"/var/lib/market4/market4.db":                          "/var/lib/market4/market4.db",
		"postgres://m4:s3cret@db/market4?application_name=a@b": "postgres://m4:****@db/market4?application_name=a@b",
	} {
		got := maskURL(in)
		if got != want {
			t.Errorf("maskURL(%q) = %q, want %q", in, got, want)
		}
		if strings.Contains(got, "s3cret") || strings.Contains(got, "ss@word") || strings.Contains(got, "with spaces") {
			t.Errorf("maskURL(%q) leaks the password: %q", in, got)
		}
	}
}

func TestLogAttrsMaskSecrets(t *testing.T) {
	c := defaultConfig()
	c.DatabaseURL = "postgres://m4:db-pass-123@db/market4"
	c.MockbankSecret = "bank-secret-0123456789"
	attrs := fmt.Sprint(c.logAttrs()...)
	for _, secret := range []string{"db-pass-123", "bank-secret-0123456789"} {
		if strings.Contains(attrs, secret) {
			t.Errorf("logAttrs leaks %q: %s", secret, attrs)
		}
	}
	if !strings.Contains(attrs, "postgres://m4:****@db/market4") || !strings.Contains(attrs, "****") {
		t.Errorf("logAttrs = %s", attrs)
	}
	c.MockbankSecret = ""
	if attrs := fmt.Sprint(c.logAttrs()...); !strings.Contains(attrs, "(unset)") {
		t.Errorf("unset secret not shown as such: %s", attrs)
	}
	// Every key has a value.
	if n := len(c.logAttrs()); n%2 != 0 {
		t.Errorf("logAttrs has %d items, not key/value pairs", n)
	}
}

// TestEnvTableDocumentsEveryField: --help lists every variable the config
// reads, and nothing else.
func TestEnvTableDocumentsEveryField(t *testing.T) {
	var documented []string
	for _, e := range envTable {
		documented = append(documented, e[0])
	}
	typ := reflect.TypeOf(config{})
	for i := range typ.NumField() {
		env := "MARKET4_" + typ.Field(i).Tag.Get("env")
		if !strings.Contains(strings.Join(documented, " ")+" ", env+" ") {
			t.Errorf("field %s (%s) is not in envTable", typ.Field(i).Name, env)
		}
	}
	if len(documented) != typ.NumField() {
		t.Errorf("envTable has %d variables, config has %d fields", len(documented), typ.NumField())
	}
	var out bytes.Buffer
	printUsage(&out)
	for _, name := range documented {
		if !strings.Contains(out.String(), name) {
			t.Errorf("usage does not mention %s", name)
		}
	}
}
