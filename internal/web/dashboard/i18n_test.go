package dashboard

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// TestTexts: every text exists in both languages and every key the
// templates use is defined.
func TestTexts(t *testing.T) {
	files, err := filepath.Glob("templates/*.html")
	if err != nil || len(files) == 0 {
		t.Fatalf("templates: %v", err)
	}
	re := regexp.MustCompile(`\{\{t \$?[a-zA-Z.]+ "([a-z0-9.]+)"\}\}`)
	used := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			used++
			if _, ok := texts[m[1]]; !ok {
				t.Errorf("%s uses undefined text %q", f, m[1])
			}
		}
	}
	if used < 20 {
		t.Fatalf("found only %d text uses in templates", used)
	}
	for k, v := range texts {
		if v[0] == "" || v[1] == "" {
			t.Errorf("text %q misses a language", k)
		}
	}
}

func TestFormat(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{formatMoney("vi", 1250000), "1.250.000 ₫"},
		{formatMoney("en", 1250000), "1,250,000 ₫"},
		{formatInt("vi", -1000), "-1.000"},
		{formatPercent("vi", 0.8333), "83,3 %"},
		{formatPercent("en", 0.5), "50.0 %"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
