package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/laminate/laminate/store"
)

// enqueueWebhook adds ev to the outbox of every endpoint subscribed to its
// type, inside tx: the change and its event commit together or not at
// all. Code that stores a change with a webhook (a reissue, a full zone)
// calls it in the change's own transaction.
func (s *Store) enqueueWebhook(ctx context.Context, tx pgx.Tx, ev store.WebhookEvent) (int, error) {
	if ev.At.IsZero() {
		ev.At = s.Now()
	}
	body, err := ev.Body()
	if err != nil {
		return 0, err
	}
	now := s.Now()
	tag, err := tx.Exec(ctx, `INSERT INTO webhook_deliveries (webhook, msg_id, type, body, next_at, created_at)
		SELECT id, $1, $2, $3, $4, $4 FROM webhooks WHERE events LIKE '%,' || $2 || ',%'
		ON CONFLICT (webhook, msg_id) DO NOTHING`, ev.ID, ev.Type, body, now)
	if err != nil {
		return 0, dbErr(err, "enqueue webhook %s", ev.ID)
	}
	if tag.RowsAffected() == 0 {
		return 0, nil
	}
	// The delivery workers of every node listen (store.Notifier): the
	// first to claim sends it at once instead of at its next poll.
	return int(tag.RowsAffected()), s.notify(ctx, tx)
}

// EnqueueWebhook implements [store.Webhooks].
func (s *Store) EnqueueWebhook(ctx context.Context, ev store.WebhookEvent) (int, error) {
	var n int
	err := s.inTx(ctx, func(tx pgx.Tx) error {
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
	return s.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO webhooks (id, url, events, allow_private, secret, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			w.ID, w.URL, w.EventsColumn(), w.AllowPrivate, w.Secret, w.Created, actor)
		if _, ok := isUnique(err); ok {
			return fmt.Errorf("%w: webhook %s", store.ErrExists, w.ID)
		}
		if err != nil {
			return dbErr(err, "webhook")
		}
		return s.audit(ctx, tx, w.Created, actor, store.ActionWebhookCreate, w.ID, webhookAudit(w))
	})
}

// Webhooks implements [store.Webhooks].
func (s *Store) Webhooks(ctx context.Context) ([]store.Webhook, error) {
	return query(ctx, s, func(row pgx.Row) (store.Webhook, error) {
		var w store.Webhook
		var events string
		err := row.Scan(&w.ID, &w.URL, &events, &w.AllowPrivate, &w.Created, &w.By)
		w.Events, w.Created = store.ParseEventsColumn(events), w.Created.UTC()
		return w, err
	}, `SELECT id, url, events, allow_private, created_at, created_by FROM webhooks ORDER BY created_at, id`)
}

// DeleteWebhook implements [store.Webhooks].
func (s *Store) DeleteWebhook(ctx context.Context, id, actor string) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var w store.Webhook
		var events string
		err := tx.QueryRow(ctx, `SELECT id, url, events, allow_private FROM webhooks WHERE id = $1 FOR UPDATE`, id).Scan(&w.ID, &w.URL, &events, &w.AllowPrivate)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: webhook %s", store.ErrNotFound, id)
		}
		if err != nil {
			return dbErr(err, "webhook %s", id)
		}
		w.Events = store.ParseEventsColumn(events)
		if _, err := tx.Exec(ctx, `DELETE FROM webhook_deliveries WHERE webhook = $1`, id); err != nil {
			return dbErr(err, "webhook %s", id)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM webhooks WHERE id = $1`, id); err != nil {
			return dbErr(err, "webhook %s", id)
		}
		return s.audit(ctx, tx, s.Now(), actor, store.ActionWebhookDelete, id, webhookAudit(&w))
	})
}

const deliveryCols = `d.id, d.webhook, d.msg_id, d.type, d.body, d.state, d.attempts, d.next_at, d.last_status, d.last_error, d.created_at, d.done_at`

func scanDelivery(row pgx.Row, extra ...any) (store.Delivery, error) {
	var d store.Delivery
	var done *time.Time
	err := row.Scan(append([]any{&d.ID, &d.Webhook, &d.MsgID, &d.Type, &d.Body, &d.State, &d.Attempts, &d.NextAt, &d.LastStatus, &d.LastError, &d.Created, &done}, extra...)...)
	d.NextAt, d.Created, d.Done = d.NextAt.UTC(), d.Created.UTC(), fromNull(done)
	return d, err
}

// ClaimDeliveries implements [store.Webhooks]. FOR UPDATE SKIP LOCKED
// lets two nodes claim at once without waiting on, or taking, each
// other's rows; the lease keeps a row theirs after the commit.
func (s *Store) ClaimDeliveries(ctx context.Context, owner string, lease time.Duration, limit int) ([]store.Delivery, error) {
	if owner == "" || lease <= 0 || limit <= 0 {
		return nil, errors.New("store: a claim needs an owner, a lease and a limit")
	}
	now := s.Now()
	return query(ctx, s, func(row pgx.Row) (store.Delivery, error) {
		var d store.Delivery
		var u string
		var sec []byte
		var priv bool
		d, err := scanDelivery(row, &u, &sec, &priv)
		d.URL, d.Secret, d.AllowPrivate = u, sec, priv
		return d, err
	}, `WITH due AS (
			SELECT id FROM webhook_deliveries
			WHERE state = 'pending' AND next_at <= $3 AND (lease_until IS NULL OR lease_until <= $3)
			ORDER BY next_at, id LIMIT $4 FOR UPDATE SKIP LOCKED
		), claimed AS (
			UPDATE webhook_deliveries d SET lease_owner = $1, lease_until = $2 FROM due WHERE d.id = due.id RETURNING d.*
		)
		SELECT `+deliveryCols+`, w.url, w.secret, w.allow_private FROM claimed d JOIN webhooks w ON w.id = d.webhook ORDER BY d.next_at, d.id`,
		owner, now.Add(lease), now, limit)
}

// FinishDelivery implements [store.Webhooks].
func (s *Store) FinishDelivery(ctx context.Context, id int64, owner string, r store.DeliveryResult) error {
	now := s.Now()
	state, next := store.DeliveryPending, r.NextAt
	var done *time.Time
	switch {
	case r.Delivered:
		state, next, done = store.DeliveryDelivered, now, &now
	case r.GiveUp:
		state, next, done = store.DeliveryFailed, now, &now
	case r.NextAt.IsZero():
		return errors.New("store: a delivery to retry needs its next time")
	}
	tag, err := s.pool.Exec(ctx, `UPDATE webhook_deliveries SET state = $1, attempts = attempts + 1, next_at = $2,
		last_status = $3, last_error = $4, done_at = $5, lease_owner = '', lease_until = NULL
		WHERE id = $6 AND state = 'pending' AND lease_owner = $7`,
		state, next, r.HTTPStatus, store.TrimError(r.Error), done, id, owner)
	if err != nil {
		return dbErr(err, "delivery %d", id)
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("%w: delivery %d", store.ErrLeaseLost, id)
	}
	return nil
}

// Deliveries implements [store.Webhooks].
func (s *Store) Deliveries(ctx context.Context, webhook string, limit int) ([]store.Delivery, error) {
	if limit <= 0 {
		limit = 100
	}
	var one int
	err := s.pool.QueryRow(ctx, `SELECT 1 FROM webhooks WHERE id = $1`, webhook).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%w: webhook %s", store.ErrNotFound, webhook)
	}
	if err != nil {
		return nil, dbErr(err, "webhook %s", webhook)
	}
	out, err := query(ctx, s, func(row pgx.Row) (store.Delivery, error) { return scanDelivery(row) },
		`SELECT `+deliveryCols+` FROM webhook_deliveries d WHERE d.webhook = $1 ORDER BY d.id DESC LIMIT $2`, webhook, limit)
	if out == nil && err == nil {
		out = []store.Delivery{}
	}
	return out, err
}
