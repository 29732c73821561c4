package postgres

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/laminate/laminate/guestlist"
	"github.com/laminate/laminate/issue"
	"github.com/laminate/laminate/keys"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/signer"
)

// BenchmarkConfirm10kPostgres is a 10,000-row guest list confirmed to
// stored on PostgreSQL: read and checked against the event's passes
// (guestlist.Check), signed and stored in one transaction (issue.Batch).
// The server's BenchmarkConfirm10k is the same on SQLite through HTTP.
func BenchmarkConfirm10kPostgres(b *testing.B) {
	ctx := context.Background()
	s, _ := openTest(b)
	s.Now = time.Now
	ring, err := keys.Init(b.TempDir(), jose.EdDSA, nil, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	js, key, _ := ring.Signer(nil)
	sg := signer.New(js, key.KID, "lam")
	start := time.Now().Add(24 * time.Hour).Truncate(time.Hour)
	ev := &pass.Event{ID: "bench", Name: "Bench", Schedule: pass.Schedule{ShowStart: start, ShowEnd: start.Add(3 * time.Hour)}}
	if err := ev.Validate(); err != nil {
		b.Fatal(err)
	}
	if err := s.CreateEvent(ctx, ev, "bench"); err != nil {
		b.Fatal(err)
	}
	round := 0
	for b.Loop() {
		b.StopTimer()
		round++
		var sb strings.Builder
		sb.WriteString("name,type,org,ref\n")
		for i := range 10_000 {
			fmt.Fprintf(&sb, "Round%d Guest %05d,VIP,Crew %d,R%d-%05d\n", round, i, i%40, round, i)
		}
		list := sb.String()
		b.StartTimer()
		p, err := guestlist.Check(ctx, strings.NewReader(list), ev, nil, s)
		if err != nil {
			b.Fatal(err)
		}
		reqs, err := p.Requests(guestlist.Skip)
		if err != nil || len(reqs) != 10_000 {
			b.Fatalf("%d requests, %v", len(reqs), err)
		}
		if _, err := issue.Batch(ctx, sg, s, ev, reqs, "bench", issue.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
