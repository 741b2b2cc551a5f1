package pgstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/firebreak-hq/firebreak/incident"
)

// AddHomeViewer records that user has opened App Home (once).
func (p *Store) AddHomeViewer(user string) error {
	if !incident.ValidUserID(user) {
		return fmt.Errorf("store: home viewer %q is not a user ID", user)
	}
	return p.inTx(func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO home_viewers (user_id) VALUES ($1) ON CONFLICT DO NOTHING`, user)
		return err
	})
}

// HomeViewers lists everyone AddHomeViewer recorded, in ID order.
func (p *Store) HomeViewers() ([]string, error) {
	ctx, cancel := p.rctx()
	defer cancel()
	rows, err := p.pool.Query(ctx, `SELECT user_id FROM home_viewers ORDER BY user_id`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}
