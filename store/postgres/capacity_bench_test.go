package postgres

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/laminate/laminate/store"
	"github.com/laminate/laminate/store/storetest"
)

// BenchmarkZoneScan measures what the zone lock costs: scans "in" of
// distinct passes, 16 at a time through two nodes, into one zone with
// RecordScan (no capacity) and with RecordZoneScan (a capacity: the zone
// is locked, so they are decided one at a time).
//
//	LAMINATE_TEST_POSTGRES=postgres://… go test ./store/postgres -run '^$' -bench ZoneScan -benchtime 2000x
func BenchmarkZoneScan(b *testing.B) {
	for _, capped := range []bool{false, true} {
		b.Run(fmt.Sprintf("capped=%v", capped), func(b *testing.B) {
			u, _ := newSchema(b)
			nodes := []*Store{openURL(b, u), openURL(b, u)}
			storetest.MustCreate(b, nodes[0], storetest.NewEvent(b, "ev", time.Date(2026, 11, 20, 20, 0, 0, 0, time.UTC)))
			ps := storetest.NewPasses(b, "ev", b.N, time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
			storetest.MustInsert(b, nodes[0], ps)
			var next atomic.Int64
			at := time.Date(2026, 11, 20, 21, 0, 0, 0, time.UTC)
			b.SetParallelism(8) // 16 doors on 2 cores
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				for pb.Next() {
					i := int(next.Add(1) - 1)
					s := nodes[i%2]
					sc := &store.Scan{ID: fmt.Sprintf("b%d", i), Serial: ps[i].Serial, Event: "ev", Gate: "g", Zone: "photo-pit", Direction: "in", At: at}
					var err error
					if capped {
						_, _, err = s.RecordZoneScan(ctx, sc, storetest.AdmitUpTo(1<<30))
					} else {
						_, _, err = s.RecordScan(ctx, sc, storetest.AdmitOnce)
					}
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
