// Package storetest is the conformance suite of [store.Store]: every
// backend runs [Run] against a fresh store per subtest, and so keeps the
// semantics the rest of Laminate relies on (errors, ordering, all-or-nothing
// batches, audit rows in the same transaction, idempotent and atomic scans,
// revocation sequence numbers that a poller never skips).
//
// The suite uses the interface only. Times in it are whole milliseconds
// or coarser, since a backend may keep only microseconds (PostgreSQL).
//
// A store that also implements [store.Notifier] must be listening when
// Changes returns: a commit made after that is signalled.
package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/store"
)

// Time zones of the tests: an event keeps the offset its show start was
// given in, and instants must compare by time, not by clock reading.
var (
	cet   = time.FixedZone("", 3600)
	tokyo = time.FixedZone("", 9*3600)
	nyc   = time.FixedZone("", -5*3600)
)

// opener opens a fresh, empty store for one test.
type opener func(t *testing.T) store.Store

// Run runs the conformance suite. open must return a fresh, empty store
// whose clock is now, and close it (and remove what it made) when t ends.
func Run(t *testing.T, open func(t *testing.T, now func() time.Time) store.Store) {
	tests := []struct {
		name string
		run  func(t *testing.T, open opener)
	}{
		{"EventRoundTrip", testEventRoundTrip},
		{"Branding", testBranding},
		{"UpdateEvent", testUpdateEvent},
		{"Events", testEvents},
		{"CreateEventErrors", testCreateEventErrors},
		{"InsertPasses", testInsertPasses},
		{"PassRoundTrip", testPassRoundTrip},
		{"PassPhotos", testPassPhotos},
		{"PassKeys", testPassKeys},
		{"Revoke", testRevoke},
		{"RevocationsSince", testRevocationsSince},
		{"RevokeWhere", testRevokeWhere},
		{"Audit", testAudit},
		{"APITokens", testAPITokens},
		{"IssuedSince", testIssuedSince},
		{"RecordScan", testRecordScan},
		{"RecordScanIdempotent", testRecordScanIdempotent},
		{"RecordScanAtomic", testRecordScanAtomic},
		{"ScanFields", testScanFields},
		{"ResolveScan", testResolveScan},
		{"Inside", testInside},
		{"Capacity", testCapacity},
		{"CapacityRace", testCapacityRace},
		{"ApplyCue", testApplyCue},
		{"Shared", testShared},
		{"SharedConcurrent", testSharedConcurrent},
		{"RevocationSequenceConcurrent", testRevocationSequenceConcurrent},
		{"IssuedSinceConcurrent", testIssuedSinceConcurrent},
		{"Notifier", testNotifier},
		{"Alerts", testAlerts},
		{"Enrolments", testEnrolments},
		{"DevicesSeen", testDevicesSeen},
		{"DoorsSeen", testDoorsSeen},
		{"Reissue", testReissue},
		{"SearchPasses", testSearchPasses},
		{"Prints", testPrints},
		{"MarkCollected", testMarkCollected},
		{"MarkCollectedConcurrent", testMarkCollectedConcurrent},
		{"Users", testUsers},
		{"Sessions", testSessions},
		{"SearchPassesDense", testSearchPassesDense},
		{"Webhooks", testWebhooks},
		{"WebhookEnqueue", testWebhookEnqueue},
		{"WebhookOutbox", testWebhookOutbox},
		{"WebhookClaimConcurrent", testWebhookClaimConcurrent},
		{"WebhookReissued", testWebhookReissued},
		{"WebhookZoneFull", testWebhookZoneFull},
		{"Export", testExport},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.run(t, func(t *testing.T) store.Store {
				t.Helper()
				return open(t, Clock())
			})
		})
	}
}

// Clock returns a fake clock that starts at 2026-11-20 12:00 UTC and moves
// on one second per call. It is safe for concurrent use.
func Clock() func() time.Time {
	var mu sync.Mutex
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Second)
		return now
	}
}

// NewEvent returns a valid event whose show starts at start and ends two
// hours later, the rest of the schedule by default.
func NewEvent(t testing.TB, id string, start time.Time) *pass.Event {
	t.Helper()
	ev := &pass.Event{
		ID: id, Name: "Show " + id, Venue: "Hall",
		Schedule: pass.Schedule{ShowStart: start, ShowEnd: start.Add(2 * time.Hour)},
	}
	if err := ev.Validate(); err != nil {
		t.Fatal(err)
	}
	return ev
}

// NewPasses returns n valid AAA passes of event with fresh random serials,
// issued at issued plus i milliseconds. Each token holds the marker
// "secret-token", so a test can check that it never reaches the audit log.
func NewPasses(t testing.TB, event string, n int, issued time.Time) []store.Issued {
	t.Helper()
	out := make([]store.Issued, n)
	for i := range out {
		serial, err := pass.NewSerial(nil)
		if err != nil {
			t.Fatal(err)
		}
		p := store.Issued{
			Pass: pass.Pass{
				Serial: serial, Event: event, Type: pass.AAA, Name: fmt.Sprintf("Holder %d", i),
				Org: "Crew", ValidUntil: issued.Add(48 * time.Hour), Issuer: "office",
			},
			Token: "eyJhbGciOiJFZERTQSJ9.secret-token-" + string(serial), KID: "k1",
			IssuedAt: issued.Add(time.Duration(i) * time.Millisecond),
		}
		if err := p.Validate(); err != nil {
			t.Fatal(err)
		}
		out[i] = p
	}
	return out
}

// MustCreate stores the events, failing the test on an error.
func MustCreate(t testing.TB, s store.Store, evs ...*pass.Event) {
	t.Helper()
	for _, ev := range evs {
		if err := s.CreateEvent(context.Background(), ev, "admin"); err != nil {
			t.Fatalf("CreateEvent(%s) error = %v", ev.ID, err)
		}
	}
}

// MustInsert stores the passes, failing the test on an error.
func MustInsert(t testing.TB, s store.Store, ps []store.Issued) {
	t.Helper()
	if err := s.InsertPasses(context.Background(), ps, "issuer"); err != nil {
		t.Fatalf("InsertPasses() error = %v", err)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// auditLen is the number of audit rows.
func auditLen(t *testing.T, s store.Store) int {
	t.Helper()
	a, err := s.Audit(context.Background(), 0)
	if err != nil {
		t.Fatalf("Audit() error = %v", err)
	}
	return len(a)
}
