package devices

import (
	"context"
	"time"

	"github.com/laminate/laminate/store"
)

// OfflineHorizon bounds how long after a device went offline it is still
// reported: a check that runs later (every node was down meanwhile)
// sends nothing for it, and a device dead for days costs no write per
// check. Nodes check every [CheckOfflineEvery].
const OfflineHorizon = 10 * time.Minute

// CheckOfflineEvery is how often a server looks for devices gone offline.
const CheckOfflineEvery = 10 * time.Second

// Offline is the device.offline events due at now: one per door device
// (scanner token, not revoked) that was seen, so online once, and whose
// last report is more than [OnlineWithin] and at most OnlineWithin +
// [OfflineHorizon] old. Each event's ID names the token and the time it
// was last seen (store.DeviceOfflineWebhook), so checking again, on this
// node or another, enqueues nothing new until the device comes back and
// goes quiet again. seen may hold several reports of a device (the
// store's and a node's unflushed ones): the newest counts.
func Offline(tokens []store.APIToken, seen []store.DeviceSeen, now time.Time) []store.WebhookEvent {
	last := make(map[string]store.DeviceSeen, len(seen))
	for _, d := range seen {
		if o, ok := last[d.Token]; !ok || d.At.After(o.At) {
			last[d.Token] = d
		}
	}
	var out []store.WebhookEvent
	for i := range tokens {
		t := &tokens[i]
		d, ok := last[t.ID]
		if t.Role != "scanner" || !t.Revoked.IsZero() || !ok || d.At.IsZero() || Online(d.At, now) {
			continue
		}
		if now.Sub(d.At) > OnlineWithin+OfflineHorizon {
			continue
		}
		ev := store.DeviceOfflineWebhook(t, d)
		ev.At = d.At.Add(OnlineWithin) // when it went offline
		out = append(out, ev)
	}
	return out
}

// NotifyOffline enqueues the device.offline events due at now (see
// [Offline]); pending are reports this node holds that the store has not
// yet. It returns how many deliveries it added.
func NotifyOffline(ctx context.Context, st store.Store, pending []store.DeviceSeen, now time.Time) (int, error) {
	toks, err := st.APITokens(ctx)
	if err != nil {
		return 0, err
	}
	seen, err := st.DevicesSeen(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, ev := range Offline(toks, append(seen, pending...), now) {
		k, err := st.EnqueueWebhook(ctx, ev)
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
