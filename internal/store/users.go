package store

import (
	"context"
	"time"

	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/internal/market"
)

type userRow struct {
	ID           string `gorm:"primaryKey"`
	Phone        string
	Name         string
	Role         string
	DistrictID   *string
	PasswordHash string
	CreatedAt    time.Time
}

func (userRow) TableName() string { return "users" }

func toUserRow(u *market.User) userRow {
	return userRow{ID: u.ID, Phone: u.Phone, Name: u.Name, Role: string(u.Role), DistrictID: nullable(u.DistrictID),
		PasswordHash: u.PasswordHash, CreatedAt: u.CreatedAt.UTC()}
}

func (r userRow) toUser() *market.User {
	return &market.User{ID: r.ID, Phone: r.Phone, Name: r.Name, Role: market.Role(r.Role), DistrictID: deref(r.DistrictID),
		PasswordHash: r.PasswordHash, CreatedAt: r.CreatedAt.UTC()}
}

type sessionRow struct {
	TokenHash string `gorm:"primaryKey"`
	UserID    string
	ExpiresAt time.Time
}

func (sessionRow) TableName() string { return "sessions" }

type attemptRow struct {
	Key         string    `gorm:"primaryKey"`
	WindowStart time.Time `gorm:"primaryKey"`
	Count       int
}

func (attemptRow) TableName() string { return "attempts" }

func (r *repo) CreateUser(ctx context.Context, u *market.User) error {
	row := toUserRow(u)
	return translate(r.q(ctx).Create(&row).Error)
}

func (r *repo) UserByPhone(ctx context.Context, phone string) (*market.User, error) {
	if !storable(phone) {
		return nil, errs.E(errs.NotFound, "no such user")
	}
	var row userRow
	if err := r.q(ctx).Where("phone = ?", phone).Take(&row).Error; err != nil {
		return nil, notFound(err, "user")
	}
	return row.toUser(), nil
}

func (r *repo) UserByID(ctx context.Context, id string) (*market.User, error) {
	if !storable(id) {
		return nil, errs.E(errs.NotFound, "no such user")
	}
	var row userRow
	if err := r.q(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		return nil, notFound(err, "user")
	}
	return row.toUser(), nil
}

func (r *repo) CreateSession(ctx context.Context, tokenHash, userID string, expiresAt time.Time) error {
	return translate(r.q(ctx).Create(&sessionRow{TokenHash: tokenHash, UserID: userID, ExpiresAt: expiresAt.UTC()}).Error)
}

func (r *repo) UserBySession(ctx context.Context, tokenHash string, now time.Time) (*market.User, error) {
	var row userRow
	err := r.q(ctx).Table("users").Select("users.*").
		Joins("JOIN sessions ON sessions.user_id = users.id").
		Where("sessions.token_hash = ? AND sessions.expires_at > ?", tokenHash, now.UTC()).
		Take(&row).Error
	if err != nil {
		return nil, notFound(err, "session")
	}
	return row.toUser(), nil
}

func (r *repo) DeleteSession(ctx context.Context, tokenHash string) error {
	return translate(r.q(ctx).Where("token_hash = ?", tokenHash).Delete(&sessionRow{}).Error)
}

// countAttemptSQL increments and reads the counter in one statement, so each
// of N concurrent callers gets its own count (1…N) and none reads another's
// increment; both PostgreSQL and SQLite (3.35+) support RETURNING.
const countAttemptSQL = `INSERT INTO attempts (key, window_start, count) VALUES (?, ?, 1)
ON CONFLICT (key, window_start) DO UPDATE SET count = attempts.count + 1
RETURNING count`

func (r *repo) CountAttempt(ctx context.Context, key string, window time.Time) (int, error) {
	var n int
	if err := r.q(ctx).Raw(countAttemptSQL, key, window.UTC()).Scan(&n).Error; err != nil {
		return 0, translate(err)
	}
	return n, nil
}

func (r *repo) Sweep(ctx context.Context, now time.Time, keep time.Duration) (int64, error) {
	a := r.q(ctx).Where("expires_at <= ?", now.UTC()).Delete(&sessionRow{})
	if a.Error != nil {
		return 0, translate(a.Error)
	}
	b := r.q(ctx).Where("window_start < ?", now.Add(-keep).UTC()).Delete(&attemptRow{})
	return a.RowsAffected + b.RowsAffected, translate(b.Error)
}
