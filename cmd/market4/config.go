package main

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// config is every setting of the binary, read from MARKET4_* environment
// variables (each may instead name a file with MARKET4_<NAME>_FILE, for
// secrets mounted by an orchestrator), validated once at start.
type config struct {
	Addr           string `env:"ADDR"`
	DatabaseURL    string `env:"DATABASE_URL"`
	PublicURL      string `env:"PUBLIC_URL"`
	MockbankSecret string `env:"MOCKBANK_SECRET" secret:"true"`
	MockbankURL    string `env:"MOCKBANK_URL"`
	// The e-wallet simulator's merchant credentials (MoMo-style).
	MockwalletURL       string        `env:"MOCKWALLET_URL"`
	MockwalletPartner   string        `env:"MOCKWALLET_PARTNER_CODE"`
	MockwalletAccessKey string        `env:"MOCKWALLET_ACCESS_KEY"`
	MockwalletSecretKey string        `env:"MOCKWALLET_SECRET_KEY" secret:"true"`
	LogLevel            string        `env:"LOG_LEVEL"`
	PaymentTTL          time.Duration `env:"PAYMENT_TTL"`
	MaxBodyBytes        int64         `env:"MAX_BODY_BYTES"`
	DBMaxConns          int           `env:"DB_MAX_CONNS"`
	TrustedProxies      []string      `env:"TRUSTED_PROXIES"`
}

func defaultConfig() config {
	return config{
		Addr:         ":8080",
		DatabaseURL:  "market4.db",
		LogLevel:     "info",
		PaymentTTL:   15 * time.Minute,
		MaxBodyBytes: 1 << 20,
		DBMaxConns:   16,
	}
}

// envTable lists the variables, their meaning and default, for --help and the README.
var envTable = [][3]string{
	{"MARKET4_ADDR", ":8080", "listen address"},
	{"MARKET4_DATABASE_URL", "market4.db", "postgres://… URL, or a SQLite file path"},
	{"MARKET4_PUBLIC_URL", "http://localhost<ADDR>", "external base URL used in links and QR pages"},
	{"MARKET4_MOCKBANK_SECRET", "(none; demo generates one)", "HMAC secret of mock bank webhooks"},
	{"MARKET4_MOCKBANK_URL", "(none; demo runs it in-process)", "base URL of a standalone cmd/mockbank"},
	{"MARKET4_MOCKWALLET_URL", "(none; demo runs it in-process)", "base URL of the e-wallet simulator"},
	{"MARKET4_MOCKWALLET_PARTNER_CODE", "", "e-wallet merchant partner code"},
	{"MARKET4_MOCKWALLET_ACCESS_KEY", "", "e-wallet access key"},
	{"MARKET4_MOCKWALLET_SECRET_KEY", "", "e-wallet HMAC secret key"},
	{"MARKET4_LOG_LEVEL", "info", "debug, info, warn or error"},
	{"MARKET4_PAYMENT_TTL", "15m", "how long a dynamic QR stays payable"},
	{"MARKET4_MAX_BODY_BYTES", "1048576", "request body limit"},
	{"MARKET4_DB_MAX_CONNS", "16", "PostgreSQL connection pool size"},
	{"MARKET4_TRUSTED_PROXIES", "(none)", "comma-separated proxy IPs/CIDRs whose X-Forwarded-For is believed"},
}

func lookup(name string) (string, bool, error) {
	if f := os.Getenv("MARKET4_" + name + "_FILE"); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return "", false, fmt.Errorf("MARKET4_%s_FILE: %w", name, err)
		}
		return strings.TrimSpace(string(b)), true, nil
	}
	v, ok := os.LookupEnv("MARKET4_" + name)
	return v, ok, nil
}

func loadConfig() (config, error) {
	c := defaultConfig()
	var problems []string
	// get reads one variable; an unreadable _FILE is a problem for every
	// variable, not just the string ones.
	get := func(name string) (string, bool) {
		v, ok, err := lookup(name)
		if err != nil {
			problems = append(problems, err.Error())
		}
		return v, ok
	}
	str := func(name string, dst *string) {
		if v, ok := get(name); ok {
			*dst = v
		}
	}
	str("ADDR", &c.Addr)
	str("DATABASE_URL", &c.DatabaseURL)
	str("PUBLIC_URL", &c.PublicURL)
	str("MOCKBANK_SECRET", &c.MockbankSecret)
	str("MOCKBANK_URL", &c.MockbankURL)
	str("MOCKWALLET_URL", &c.MockwalletURL)
	str("MOCKWALLET_PARTNER_CODE", &c.MockwalletPartner)
	str("MOCKWALLET_ACCESS_KEY", &c.MockwalletAccessKey)
	str("MOCKWALLET_SECRET_KEY", &c.MockwalletSecretKey)
	str("LOG_LEVEL", &c.LogLevel)
	var proxies string
	str("TRUSTED_PROXIES", &proxies)
	for _, p := range strings.Split(proxies, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
			problems = append(problems, fmt.Sprintf("MARKET4_TRUSTED_PROXIES: %q is not an IP address or CIDR", p))
		}
		c.TrustedProxies = append(c.TrustedProxies, p)
	}
	if v, ok := get("PAYMENT_TTL"); ok {
		d, err := time.ParseDuration(v)
		if err != nil || d < 30*time.Second || d > 24*time.Hour {
			problems = append(problems, "MARKET4_PAYMENT_TTL must be a duration from 30s to 24h, e.g. 15m")
		}
		c.PaymentTTL = d
	}
	intVar := func(name string, dst *int64, min, max int64) {
		if v, ok := get(name); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < min || n > max {
				problems = append(problems, fmt.Sprintf("MARKET4_%s must be an integer from %d to %d", name, min, max))
			}
			*dst = n
		}
	}
	intVar("MAX_BODY_BYTES", &c.MaxBodyBytes, 1024, 64<<20)
	var conns = int64(c.DBMaxConns)
	intVar("DB_MAX_CONNS", &conns, 1, 500)
	c.DBMaxConns = int(conns)
	if c.DatabaseURL == "" {
		problems = append(problems, "MARKET4_DATABASE_URL must not be empty")
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		problems = append(problems, err.Error())
	}
	if c.MockbankSecret != "" && len(c.MockbankSecret) < 16 {
		problems = append(problems, "MARKET4_MOCKBANK_SECRET must be at least 16 characters")
	}
	if c.PublicURL == "" {
		host := c.Addr
		if strings.HasPrefix(host, ":") {
			host = "localhost" + host
		}
		c.PublicURL = "http://" + host
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if len(problems) > 0 {
		return c, fmt.Errorf("invalid configuration:\n  %s", strings.Join(problems, "\n  "))
	}
	return c, nil
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return l, fmt.Errorf("MARKET4_LOG_LEVEL must be debug, info, warn or error")
	}
	return l, nil
}

// logValue prints the configuration with secrets and credentials masked.
func (c config) logAttrs() []any {
	return []any{
		"addr", c.Addr, "database", maskURL(c.DatabaseURL), "public_url", c.PublicURL,
		"mockbank_secret", mask(c.MockbankSecret), "mockbank_url", c.MockbankURL, "mockwallet_url", c.MockwalletURL, "mockwallet_secret_key", mask(c.MockwalletSecretKey), "log_level", c.LogLevel,
		"payment_ttl", c.PaymentTTL.String(), "max_body_bytes", c.MaxBodyBytes, "db_max_conns", c.DBMaxConns, "trusted_proxies", strings.Join(c.TrustedProxies, ","),
	}
}

func mask(s string) string {
	if s == "" {
		return "(unset)"
	}
	return "****"
}

// maskURL hides the password of a database URL (user:password@, in the
// authority as net/url splits it, so a password containing '@' is hidden
// whole) and of password=… in a query string or a key=value DSN.
func maskURL(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		rest := u[i+3:]
		end := len(rest)
		if j := strings.IndexAny(rest, "?#"); j >= 0 {
			end = j
		}
		if j := strings.Index(rest[:end], "/"); j >= 0 {
			end = j
		}
		if at := strings.LastIndex(rest[:end], "@"); at >= 0 {
			if c := strings.Index(rest[:at], ":"); c >= 0 {
				u = u[:i+3] + rest[:c] + ":****" + rest[at:]
			}
		}
	}
	return dsnPassword.ReplaceAllString(u, "${1}****")
}

// dsnPassword matches password=value in a URL query or a libpq key=value
// DSN, where the value may be single-quoted.
var dsnPassword = regexp.MustCompile(`(?i)(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]*)`)
