package main

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// On a fresh data folder, serve says where to go next (issue 10): the pages
// at the address it is bound to and the command that makes a scanner token,
// with the flags that reach this node's store.
func TestNextSteps(t *testing.T) {
	tcp := func(s string) net.Addr { return net.TCPAddrFromAddrPort(netipMust(t, s)) }
	tests := []struct {
		name    string
		scheme  string
		bound   net.Addr
		g       globals
		want    []string
		notWant []string
	}{
		{"ok/loopback-default-folder", "http", tcp("127.0.0.1:18391"), globals{data: defaultData},
			[]string{"http://127.0.0.1:18391/scan", "http://127.0.0.1:18391/verify",
				"http://127.0.0.1:18391/office/ (make the first admin: laminate users create --role admin --username NAME --name 'YOUR NAME')",
				"laminate tokens create --role scanner --name 'north gate phone 1' [--event ID --gate G]\n"},
			[]string{"--data", "--store", "every address", "HTTPS"}},
		{"ok/other-folder", "http", tcp("127.0.0.1:8080"), globals{data: "/srv/my data"},
			[]string{"laminate --data '/srv/my data' tokens create --role scanner"}, nil},
		{"ok/every-address", "http", tcp("[::]:8080"), globals{data: defaultData},
			[]string{"http://localhost:8080/scan", "every address", "phone cameras need HTTPS"}, nil},
		{"ok/tls-lan", "https", tcp("192.0.2.7:8443"), globals{data: defaultData},
			[]string{"https://192.0.2.7:8443/scan", "https://192.0.2.7:8443/verify"}, []string{"HTTPS"}},
		{"ok/store-password-hidden", "http", tcp("127.0.0.1:8080"), globals{data: "d", store: "postgres://lam:s3cret@db.example/laminate"},
			[]string{"--data d --store postgres://lam:xxxxx@db.example/laminate tokens create"}, []string{"s3cret"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			u := &ui{stdout: &out, stderr: &out}
			u.nextSteps(tt.scheme, tt.bound, &tt.g)
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("nextSteps printed\n%s\nwant %q in it", out.String(), w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(out.String(), w) {
					t.Errorf("nextSteps printed\n%s\nwant no %q in it", out.String(), w)
				}
			}
		})
	}
}

// TestServeFirstStart runs "laminate serve" on a fresh data folder and on
// the same folder again: the first start prints the admin token and the
// next steps at the port it was given, the second neither.
func TestServeFirstStart(t *testing.T) {
	bin := laminateBin(t)
	data := filepath.Join(t.TempDir(), "data")
	serve := func() (stdout, base string) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, "--data", data, "serve", "--addr", "127.0.0.1:0")
		cmd.Env = childEnv()
		var out bytes.Buffer
		cmd.Stdout = &out
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		re := regexp.MustCompile(`serving on (http://\S+)`)
		sc := bufio.NewScanner(stderr)
		var logs strings.Builder
		for sc.Scan() {
			logs.WriteString(sc.Text() + "\n")
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				base = m[1]
				break
			}
		}
		if base == "" {
			cmd.Wait()
			t.Fatalf("laminate serve did not say where it serves:\n%s", logs.String())
		}
		cmd.Process.Signal(os.Interrupt)
		go func() {
			for sc.Scan() {
			}
		}()
		if err := cmd.Wait(); err != nil {
			t.Fatalf("laminate serve: %v", err)
		}
		return out.String(), base
	}

	out, base := serve()
	for _, want := range []string{
		"admin token (shown once, keep it safe):\nlam_",
		base + "/scan",
		base + "/verify",
		base + "/office/",
		"laminate --data " + shellQuote(data) + " users create --role admin",
		"laminate --data " + shellQuote(data) + " tokens create --role scanner --name 'north gate phone 1' [--event ID --gate G]",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("first start printed\n%s\nwant %q in it", out, want)
		}
	}
	// The printed command works as printed (without the optional binding).
	line := regexp.MustCompile(`(?m)^    (laminate .*tokens create .*) \[--event ID --gate G\]$`).FindStringSubmatch(out)
	if line == nil {
		t.Fatalf("no tokens create command in\n%s", out)
	}
	sh := exec.Command("sh", "-c", line[1])
	sh.Env = childEnv()
	if got, err := sh.CombinedOutput(); err != nil || !strings.HasPrefix(string(got), "lam_") {
		t.Errorf("%s: %v\n%s", line[1], err, got)
	}
	if out, _ := serve(); out != "" {
		t.Errorf("second start printed\n%s\nwant nothing on standard output", out)
	}
}

func netipMust(t *testing.T, s string) netip.AddrPort {
	t.Helper()
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		t.Fatal(err)
	}
	return ap
}
