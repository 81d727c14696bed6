package browsertest

import (
	"image"
	"image/color"
	"os"
	"path/filepath"
	"testing"
)

func TestVariance(t *testing.T) {
	blank := image.NewGray(image.Rect(0, 0, 40, 40))
	if v := Variance(blank); v != 0 {
		t.Fatalf("blank image variance %v, want 0", v)
	}
	stripes := image.NewGray(image.Rect(0, 0, 40, 40))
	for y := 0; y < 40; y++ {
		for x := 0; x < 40; x += 2 {
			stripes.SetGray(x, y, color.Gray{Y: 255})
		}
	}
	if v := Variance(stripes); v < 16000 {
		t.Fatalf("half-white image variance %v, want ~16256", v)
	}
}

func TestArtifactsIsAtTheModuleRoot(t *testing.T) {
	dir := Artifacts(t)
	if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "go.mod")); err != nil {
		t.Fatalf("%s is not next to go.mod", dir)
	}
}

func TestMissingBrowserSkipsUnlessRequired(t *testing.T) {
	t.Setenv("MARKET4_CHROME", "")
	t.Setenv("PATH", t.TempDir())
	if Path() != "" && Path() != "/usr/bin/chromium" {
		t.Fatalf("Path() = %q with an empty PATH", Path())
	}
	t.Setenv("MARKET4_REQUIRE_BROWSER", "1")
	if !Required() {
		t.Fatal("MARKET4_REQUIRE_BROWSER=1 not honoured")
	}
}
