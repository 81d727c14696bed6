package main

import (
	"bufio"
	"debug/elf"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestImageRuntime checks the Dockerfile's promises without a Docker
// engine (none on this CI machine): the binary built by the Dockerfile's
// own `go build` line is static (no ELF interpreter: the distroless
// static image has no libc), and it starts, migrates and serves as the
// image's USER in an empty root holding only itself, a writable /data
// (WORKDIR) and /tmp — no /etc, no CA certificates, no time zone files —
// with the image's environment: the SQLite database at its default path,
// and the demo. It needs root for chroot(8); MARKET4_REQUIRE_IMAGE_CHECK=1
// (set by CI) fails instead of skipping without it.
func TestImageRuntime(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	chroot, err := exec.LookPath("chroot")
	if err != nil {
		chroot = "/usr/sbin/chroot"
	}
	if _, err := os.Stat(chroot); err != nil || os.Geteuid() != 0 {
		if os.Getenv("MARKET4_REQUIRE_IMAGE_CHECK") == "1" {
			t.Fatalf("MARKET4_REQUIRE_IMAGE_CHECK=1 but chroot (%v) or root (euid %d) is missing", err, os.Geteuid())
		}
		t.Skip("needs root and chroot(8)")
	}
	df := readDockerfile(t)

	root := t.TempDir()
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(root, "usr/local/bin/market4")
	line := "CGO_ENABLED=0 go " + df.build + " -o " + bin + " ."
	if out, err := exec.Command("sh", "-c", line).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", line, err, out)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Fatal("the binary asks for a dynamic loader: it would not start in a static distroless image")
		}
	}
	f.Close()
	uid, gid := df.user[0], df.user[1]
	for _, d := range []string{"data", "tmp"} {
		p := filepath.Join(root, d)
		if err := os.Mkdir(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chown(filepath.Join(root, "data"), uid, gid); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(root, "tmp"), os.ModePerm|os.ModeSticky); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		name string
		args []string
	}{
		{"serve (the image's CMD)", df.cmd},
		{"demo", []string{"demo"}},
	} {
		addr := freeAddr(t)
		env := []string{"MARKET4_ADDR=" + addr}
		for k, v := range df.env {
			if k != "MARKET4_ADDR" {
				env = append(env, k+"="+v)
			}
		}
		run := exec.Command(chroot, append([]string{"--userspec=" + strconv.Itoa(uid) + ":" + strconv.Itoa(gid), root, df.entrypoint}, c.args...)...)
		run.Env = env
		run.Dir = "/"
		var out strings.Builder
		run.Stdout, run.Stderr = &out, &out
		if err := run.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { run.Process.Kill() })
		waitReady(t, "http://"+addr+"/readyz")
		resp, err := http.Get("http://" + addr + "/open-data/markets-daily.json")
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: open data: %v %v\n%s", c.name, resp, err, out.String())
		}
		resp.Body.Close()
		run.Process.Signal(os.Interrupt)
		if err := run.Wait(); err != nil {
			t.Fatalf("%s: exit after interrupt: %v\n%s", c.name, err, out.String())
		}
	}
	db, err := os.Stat(filepath.Join(root, strings.TrimPrefix(df.env["MARKET4_DATABASE_URL"], "/")))
	if err != nil {
		t.Fatalf("the image's database was not created where its ENV says: %v", err)
	}
	if st, ok := db.Sys().(interface{ Uid() uint32 }); ok && int(st.Uid()) != uid {
		t.Fatalf("database owned by uid %d, want %d", st.Uid(), uid)
	}
}

// dockerfile is what TestImageRuntime takes from the Dockerfile.
type dockerfile struct {
	build      string // the `go build …` flags of the line for cmd/market4, as sh reads them
	user       [2]int
	env        map[string]string
	entrypoint string
	cmd        []string
}

func readDockerfile(t *testing.T) dockerfile {
	t.Helper()
	fh, err := os.Open("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	df := dockerfile{env: map[string]string{}}
	buildRE := regexp.MustCompile(`CGO_ENABLED=0 go build (.*) -o /out/market4 \./cmd/market4`)
	jsonArgs := func(s string) []string {
		var out []string
		for _, m := range regexp.MustCompile(`"([^"]*)"`).FindAllStringSubmatch(s, -1) {
			out = append(out, m[1])
		}
		return out
	}
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if m := buildRE.FindStringSubmatch(line); m != nil {
			df.build = "build " + m[1]
		}
		word, rest, _ := strings.Cut(line, " ")
		switch word {
		case "USER":
			u, g, _ := strings.Cut(rest, ":")
			df.user[0], _ = strconv.Atoi(u)
			df.user[1], _ = strconv.Atoi(g)
		case "ENV":
			for _, kv := range strings.Fields(rest) {
				k, v, _ := strings.Cut(kv, "=")
				df.env[k] = v
			}
		case "ENTRYPOINT":
			df.entrypoint = jsonArgs(rest)[0]
		case "CMD":
			df.cmd = jsonArgs(rest)
		}
	}
	if df.build == "" || df.user[0] == 0 || df.entrypoint == "" || len(df.cmd) == 0 || df.env["MARKET4_DATABASE_URL"] == "" {
		t.Fatalf("Dockerfile not understood: %+v", df)
	}
	return df
}
