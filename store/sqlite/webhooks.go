package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"time"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/laminate/laminate/store"
)

// enqueueWebhook adds ev to the outbox of every endpoint subscribed to its
// type, inside tx: the change and its event commit together or not at
// all. Code that stores a change with a webhook (a reissue, a full zone)
// calls it in the change's own transaction.
func (s *Store) enqueueWebhook(ctx context.Context, tx *sql.Tx, ev store.WebhookEvent) (int, error) {
	if ev.At.IsZero() {
		ev.At = s.Now()
	}
	body, err := ev.Body()
	if err != nil {
		return 0, err
	}
	now := ts(s.Now())
	res, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (webhook, msg_id, type, body, next_at, created_at)
		SELECT id, ?, ?, ?, ?, ? FROM webhooks WHERE events LIKE '%,' || ? || ',%'
		ON CONFLICT (webhook, msg_id) DO NOTHING`, ev.ID, ev.Type, body, now, now, ev.Type)
	if err != nil {
		return 0, fmt.Errorf("store: enqueue webhook %s: %w", ev.ID, err)
	}
	n, _ := res.RowsAffected()
	if n > 0 {
		// Before the commit, but the worker's claim is a write and waits
		// for it; a rollback makes a wake-up for nothing.
		select {
		case s.enqueued <- struct{}{}:
		default:
		}
	}
	return int(n), nil
}

// Enqueued implements [store.OutboxWaker]: one delivery worker of this
// process hears of new deliveries at once.
func (s *Store) Enqueued() <-chan struct{} { return s.enqueued }

// EnqueueWebhook implements [store.Webhooks].
func (s *Store) EnqueueWebhook(ctx context.Context, ev store.WebhookEvent) (int, error) {
	var n int
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		n, err = s.enqueueWebhook(ctx, tx, ev)
		return err
	})
	return n, err
}

// webhookAudit is the audit detail of an endpoint: its URL without query
// or user info (they may carry a receiver's own token), never its secret.
func webhookAudit(w *store.Webhook) map[string]any {
	u := w.URL
	if p, err := url.Parse(w.URL); err == nil {
		u = p.Scheme + "://" + p.Host + p.EscapedPath()
	}
	return map[string]any{"url": u, "events": w.Events, "allow_private": w.AllowPrivate}
}

// CreateWebhook implements [store.Webhooks].
func (s *Store) CreateWebhook(ctx context.Context, w *store.Webhook, actor string) error {
	if err := store.CheckWebhookEvents(w.Events); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if len(w.Secret) < 32 {
		return errors.New("store: a webhook secret has at least 32 bytes")
	}
	if w.Created.IsZero() {
		w.Created = s.Now()
	}
	w.By = actor
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO webhooks (id, url, events, allow_private, secret, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			w.ID, w.URL, w.EventsColumn(), w.AllowPrivate, w.Secret, ts(w.Created), actor)
		if isConstraint(err, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) {
			return fmt.Errorf("%w: webhook %s", store.ErrExists, w.ID)
		}
		if err != nil {
			return fmt.Errorf("store: webhook: %w", err)
		}
		return s.audit(ctx, tx, w.Created, actor, store.ActionWebhookCreate, w.ID, webhookAudit(w))
	})
}

// Webhooks implements [store.Webhooks].
func (s *Store) Webhooks(ctx context.Context) ([]store.Webhook, error) {
	return query(ctx, s.r, func(row scanner) (store.Webhook, error) {
		var w store.Webhook
		var events, created string
		err := row.Scan(&w.ID, &w.URL, &events, &w.AllowPrivate, &created, &w.By)
		if err == nil {
			w.Events = store.ParseEventsColumn(events)
			w.Created, err = parseTS(created)
		}
		return w, err
	}, `SELECT id, url, events, allow_private, created_at, created_by FROM webhooks ORDER BY created_at, id`)
}

// DeleteWebhook implements [store.Webhooks].
func (s *Store) DeleteWebhook(ctx context.Context, id, actor string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var w store.Webhook
		var events string
		err := tx.QueryRowContext(ctx, `SELECT id, url, events, allow_private FROM webhooks WHERE id = ?`, id).Scan(&w.ID, &w.URL, &events, &w.AllowPrivate)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: webhook %s", store.ErrNotFound, id)
		}
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		w.Events = store.ParseEventsColumn(events)
		if _, err := tx.ExecContext(ctx, `DELETE FROM webhook_deliveries WHERE webhook = ?`, id); err != nil {
			return fmt.Errorf("store: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM webhooks WHERE id = ?`, id); err != nil {
			return fmt.Errorf("store: %w", err)
		}
		return s.audit(ctx, tx, s.Now(), actor, store.ActionWebhookDelete, id, webhookAudit(&w))
	})
}

const deliveryCols = `d.id, d.webhook, d.msg_id, d.type, d.body, d.state, d.attempts, d.next_at, d.last_status, d.last_error, d.created_at, d.done_at`

func scanDelivery(row scanner, extra ...any) (store.Delivery, error) {
	var d store.Delivery
	var next, created, done string
	err := row.Scan(append([]any{&d.ID, &d.Webhook, &d.MsgID, &d.Type, &d.Body, &d.State, &d.Attempts, &next, &d.LastStatus, &d.LastError, &created, &done}, extra...)...)
	if err != nil {
		return d, err
	}
	if d.NextAt, err = parseTS(next); err != nil {
		return d, err
	}
	if d.Created, err = parseTS(created); err != nil {
		return d, err
	}
	d.Done, err = parseTS(done)
	return d, err
}

// ClaimDeliveries implements [store.Webhooks]. The write connection is
// the only writer, so the select and the update are one atomic step.
func (s *Store) ClaimDeliveries(ctx context.Context, owner string, lease time.Duration, limit int) ([]store.Delivery, error) {
	if owner == "" || lease <= 0 || limit <= 0 {
		return nil, errors.New("store: a claim needs an owner, a lease and a limit")
	}
	now := s.Now()
	var out []store.Delivery
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		rows, err := tx.QueryContext(ctx, `UPDATE webhook_deliveries SET lease_owner = ?, lease_until = ?
			WHERE id IN (SELECT id FROM webhook_deliveries WHERE state = 'pending' AND next_at <= ? AND lease_until <= ?
				ORDER BY next_at, id LIMIT ?)
			RETURNING id`, owner, ts(now.Add(lease)), ts(now), ts(now), limit)
		if err != nil {
			return fmt.Errorf("store: claim: %w", err)
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return fmt.Errorf("store: claim: %w", err)
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("store: claim: %w", err)
		}
		for _, id := range ids {
			var d store.Delivery
			var u string
			var sec []byte
			var priv bool
			d, err := scanDelivery(tx.QueryRowContext(ctx, `SELECT `+deliveryCols+`, w.url, w.secret, w.allow_private
				FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook WHERE d.id = ?`, id), &u, &sec, &priv)
			if err != nil {
				return fmt.Errorf("store: claim: %w", err)
			}
			d.URL, d.Secret, d.AllowPrivate = u, sec, priv
			out = append(out, d)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// FinishDelivery implements [store.Webhooks].
func (s *Store) FinishDelivery(ctx context.Context, id int64, owner string, r store.DeliveryResult) error {
	now := s.Now()
	state, next, done := store.DeliveryPending, ts(r.NextAt), ""
	switch {
	case r.Delivered:
		state, next, done = store.DeliveryDelivered, ts(now), ts(now)
	case r.GiveUp:
		state, next, done = store.DeliveryFailed, ts(now), ts(now)
	case r.NextAt.IsZero():
		return errors.New("store: a delivery to retry needs its next time")
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET state = ?, attempts = attempts + 1, next_at = ?,
			last_status = ?, last_error = ?, done_at = ?, lease_owner = '', lease_until = ''
			WHERE id = ? AND state = 'pending' AND lease_owner = ?`,
			state, next, r.HTTPStatus, store.TrimError(r.Error), done, id, owner)
		if err != nil {
			return fmt.Errorf("store: delivery %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("%w: delivery %d", store.ErrLeaseLost, id)
		}
		return nil
	})
}

// Deliveries implements [store.Webhooks].
func (s *Store) Deliveries(ctx context.Context, webhook string, limit int) ([]store.Delivery, error) {
	if limit <= 0 {
		limit = 100
	}
	var one int
	err := s.r.QueryRowContext(ctx, `SELECT 1 FROM webhooks WHERE id = ?`, webhook).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: webhook %s", store.ErrNotFound, webhook)
	}
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	out, err := query(ctx, s.r, func(row scanner) (store.Delivery, error) { return scanDelivery(row) },
		`SELECT `+deliveryCols+` FROM webhook_deliveries d WHERE d.webhook = ? ORDER BY d.id DESC LIMIT ?`, webhook, limit)
	if out == nil && err == nil {
		out = []store.Delivery{}
	}
	return out, err
}
