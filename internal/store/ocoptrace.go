package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/market4/market4/internal/app"
	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/internal/ocop"
)

// stampScansPostgres is stampScansSQL for PostgreSQL through database/sql
// (in a transaction), scan times as Unix microseconds.
var stampScansPostgres = positional(strings.Replace(stampScansSQL,
	`group_concat(x.scanned_at || ',' || x.device_hash || ',' || x.province_code, ';')`,
	`string_agg((extract(epoch FROM x.scanned_at) * 1000000)::bigint || ',' || x.device_hash || ',' || x.province_code, ';')`, 1))

// stampScansNativeSQL is the same read for pgx: the latest scans come back
// as three arrays in the binary protocol, which pgx decodes straight into
// Go values — no text to format in the server and split here, no
// database/sql conversions.
const stampScansNativeSQL = `SELECT s.serial, s.lot_id, s.status, s.sold_at, s.sold_province, x.ats, x.devices, x.provinces
FROM stamps s
CROSS JOIN LATERAL (SELECT array_agg(y.scanned_at) AS ats, array_agg(y.device_hash) AS devices, array_agg(y.province_code) AS provinces
	FROM (SELECT scanned_at, device_hash, province_code FROM scans WHERE serial = s.serial
	ORDER BY scanned_at DESC LIMIT $1) y) x
WHERE s.serial = $2`

// stampScansNative runs stampScansNativeSQL on a pooled connection's
// pgx.Conn. ok is false when r is not on the pool (a transaction) or the
// driver is not pgx: the caller then takes the database/sql path.
func (r *repo) stampScansNative(ctx context.Context, serial string, maxScans int) (stamp *app.Stamp, scans []ocop.Scan, ok bool, err error) {
	db, isPool := r.db.Statement.ConnPool.(*sql.DB)
	if !isPool {
		return nil, nil, false, nil
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, nil, true, translate(err)
	}
	defer conn.Close()
	var (
		st                 stampRow
		ats                []time.Time
		devices, provinces []string
	)
	err = conn.Raw(func(dc any) error {
		c, isPgx := dc.(*stdlib.Conn)
		if !isPgx {
			return errNotPgx
		}
		return c.Conn().QueryRow(ctx, stampScansNativeSQL, maxScans, serial).Scan(&st.Serial, &st.LotID, &st.Status,
			&st.SoldAt, &st.SoldProvince, &ats, &devices, &provinces)
	})
	switch {
	case errors.Is(err, errNotPgx):
		return nil, nil, false, nil
	case errors.Is(err, pgx.ErrNoRows):
		return nil, nil, true, errs.E(errs.NotFound, "no such stamp")
	case err != nil:
		return nil, nil, true, translate(err)
	}
	s := st.toStamp()
	if len(ats) > 0 {
		scans = make([]ocop.Scan, len(ats))
		for i := range ats {
			scans[i] = ocop.Scan{At: ats[i].UTC(), DeviceHash: devices[i], ProvinceCode: provinces[i]}
		}
	}
	return &s, scans, true, nil
}

var errNotPgx = errors.New("store: not a pgx connection")
