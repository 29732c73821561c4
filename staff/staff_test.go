package staff

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// cheap are parameters for tests: the form, not the cost, is under test.
var cheap = Params{Memory: 64, Time: 1, Threads: 1}

func TestHashPassword(t *testing.T) {
	h, err := HashPassword("correct horse battery", cheap)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("HashPassword() = %q, want a PHC argon2id string with its parameters", h)
	}
	h2, _ := HashPassword("correct horse battery", cheap)
	if h == h2 {
		t.Fatal("two hashes of one password are equal: the salt is not fresh")
	}
	for _, tc := range []struct {
		name, pw string
		want     bool
	}{
		{"ok", "correct horse battery", true},
		{"wrong", "correct horse batterY", false},
		{"empty", "", false},
		{"too-long", strings.Repeat("a", MaxPasswordBytes+1), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CheckPassword(h, tc.pw)
			if err != nil || got != tc.want {
				t.Fatalf("CheckPassword() = %v, %v, want %v", got, err, tc.want)
			}
		})
	}
	if NeedsRehash(h, cheap) || !NeedsRehash(h, DefaultParams) {
		t.Error("NeedsRehash does not compare the recorded parameters")
	}
}

func TestCheckPasswordBadHash(t *testing.T) {
	for name, h := range map[string]string{
		"bad/empty":        "",
		"bad/argon2i":      "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
		"bad/version":      "$argon2id$v=16$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
		"bad/huge-memory":  "$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
		"bad/huge-time":    "$argon2id$v=19$m=64,t=1000,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
		"bad/no-salt":      "$argon2id$v=19$m=64,t=1,p=1$$aGFzaGhhc2hoYXNoaGFzaA",
		"bad/unknown-knob": "$argon2id$v=19$m=64,t=1,p=1,x=2$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
	} {
		t.Run(name, func(t *testing.T) {
			ok, err := CheckPassword(h, "anything at all")
			if ok || err == nil {
				t.Fatalf("CheckPassword(%q) = %v, %v, want false and an error", h, ok, err)
			}
		})
	}
}

func TestCheckPolicy(t *testing.T) {
	for _, tc := range []struct {
		name, user, pw, want string
	}{
		{"ok/twelve", "alice", "twelve chars", ""},
		{"ok/unicode", "alice", "ĉĉĉĉĉĉĉĉĉĉĉĉ", ""},
		{"bad/short", "alice", "eleven char", "at least 12 characters long (it has 11)"},
		{"bad/long", "alice", strings.Repeat("x", 257), "longer than 256 bytes"},
		{"bad/username", "alice.smith1", "Alice.Smith1", "must not be the username"},
		{"bad/utf8", "alice", "\xff\xfe twelve chars", "not valid text"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckPolicy(tc.user, tc.pw)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("CheckPolicy() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrPassword) {
				t.Fatalf("CheckPolicy() = %v, want ErrPassword saying %q", err, tc.want)
			}
		})
	}
}

func TestLockout(t *testing.T) {
	now := time.Date(2026, 12, 2, 18, 0, 0, 0, time.UTC)
	a := &LockState{}
	l := DefaultLockout
	for i := 1; i < 5; i++ {
		if l.Failed(a, now) {
			t.Fatalf("failure %d locked the account", i)
		}
	}
	if !l.Failed(a, now) {
		t.Fatal("the fifth failure did not lock the account")
	}
	if locked, until := a.Locked(now.Add(14 * time.Minute)); !locked || !until.Equal(now.Add(15*time.Minute)) {
		t.Fatalf("Locked() = %v, %v, want locked until 15 minutes on", locked, until)
	}
	if locked, _ := a.Locked(now.Add(15 * time.Minute)); locked {
		t.Fatal("still locked after 15 minutes")
	}
	// Five more failures: twice as long.
	later := now.Add(time.Hour)
	for range 5 {
		l.Failed(a, later)
	}
	if _, until := a.Locked(later); !until.Equal(later.Add(30 * time.Minute)) {
		t.Fatalf("second lockout until %v, want 30 minutes", until.Sub(later))
	}
	for range 50 {
		l.Failed(a, later)
	}
	if _, until := a.Locked(later); until.Sub(later) != l.Max {
		t.Fatalf("lockout of %v, want the cap %v", until.Sub(later), l.Max)
	}
	if msg := LockedError(now).Error(); !strings.Contains(msg, "try again after 18:00 UTC on 2 December") {
		t.Errorf("LockedError = %q, want when to retry", msg)
	}
}

func TestSessions(t *testing.T) {
	now := time.Date(2026, 12, 2, 18, 0, 0, 0, time.UTC)
	tok, s := NewSession("alice", now)
	if !WellFormedToken(tok) || WellFormedToken(tok+"x") || WellFormedToken("") {
		t.Fatal("WellFormedToken misjudges")
	}
	if string(s.Hash) != string(HashToken(tok)) || strings.Contains(string(s.Hash), tok) {
		t.Fatal("the session keeps something other than the token's hash")
	}
	tok2, _ := NewSession("alice", now)
	if tok == tok2 {
		t.Fatal("two sessions share a token")
	}
	p := SessionPolicy{Idle: time.Hour, Absolute: 4 * time.Hour}
	for _, tc := range []struct {
		name     string
		seen, at time.Duration
		want     bool
	}{
		{"ok/fresh", 0, 0, false},
		{"ok/active", 3 * time.Hour, 3*time.Hour + 59*time.Minute, false},
		{"expired/idle", 0, time.Hour, true},
		{"expired/absolute", 3*time.Hour + 30*time.Minute, 4 * time.Hour, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := s
			s.LastSeen = now.Add(tc.seen)
			if got := p.Expired(&s, now.Add(tc.at)); got != tc.want {
				t.Fatalf("Expired() = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCSRF(t *testing.T) {
	tok, _ := NewSession("alice", time.Now())
	other, _ := NewSession("alice", time.Now())
	c := CSRFToken(tok)
	if c == tok || !CheckCSRF(tok, c) {
		t.Fatal("CSRFToken does not check against its own session, or is the session token")
	}
	for name, got := range map[string]string{
		"bad/empty":         "",
		"bad/other-session": CSRFToken(other),
		"bad/flipped":       c[:len(c)-1] + "A",
		"bad/session-token": tok,
	} {
		if CheckCSRF(tok, got) && got != c {
			t.Errorf("%s: CheckCSRF accepted %q", name, got)
		}
	}
	if CheckCSRF("", CSRFToken("")) {
		t.Error("an empty secret matched")
	}
}

func TestValidate(t *testing.T) {
	ok := Account{Username: "alice", DisplayName: "Alice Smith", Role: RolePrinter, Events: []string{"ber-2027"}}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mod := range map[string]func(a *Account){
		"bad/upper":    func(a *Account) { a.Username = "Alice" },
		"bad/space":    func(a *Account) { a.Username = "al ice" },
		"bad/dot-lead": func(a *Account) { a.Username = ".alice" },
		"bad/role":     func(a *Account) { a.Role = "root" },
		"bad/name":     func(a *Account) { a.DisplayName = "  " },
		"bad/ctl":      func(a *Account) { a.DisplayName = "a\x07b" },
		"bad/event":    func(a *Account) { a.Events = []string{"a b"} },
		"admin-events": func(a *Account) { a.Role = RoleAdmin }, // review finding 7
	} {
		a := ok
		mod(&a)
		if err := a.Validate(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Validate() = %v, want ErrInvalid", name, err)
		}
	}
	if !ok.MayActFor("ber-2027") || ok.MayActFor("par-2027") {
		t.Error("MayActFor ignores the event limit")
	}
	if !(&Account{Role: RoleAdmin}).Has(RoleIssuer) || ok.Has(RoleIssuer) || !ok.Has(RolePrinter) {
		t.Error("Has misjudges roles")
	}
}
