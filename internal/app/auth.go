package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"

	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/internal/market"
)

// ArgonParams are argon2id cost parameters.
type ArgonParams struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// DefaultArgon follows OWASP's argon2id minimum (19 MiB, t=2, p=1): about
// 25 ms on one core of this machine class, so a login stays snappy while
// an offline guess costs the same.
var DefaultArgon = ArgonParams{Memory: 19 * 1024, Time: 2, Threads: 1}

// HashPassword returns a PHC-style argon2id string with a random salt.
func HashPassword(pw string, p ArgonParams) string {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, 32)
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", p.Memory, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// CheckPassword compares pw with a HashPassword string in constant time.
func CheckPassword(pw, encoded string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var p ArgonParams
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is compared against when the phone is unknown so that a login
// for a missing user costs the same time as one with a wrong password.
var dummyHash = HashPassword("market4-timing-equaliser", DefaultArgon)

func hashToken(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

// Session is what login and registration return: the bearer token (shown
// once, stored only hashed) and the user.
type Session struct {
	Token string
	User  *market.User
}

// RegisterInput is a vendor's sign-up.
type RegisterInput struct {
	Phone, Password, Name string
}

// Register creates a vendor account and logs it in.
// Errors: Invalid (phone, password, name), Conflict (phone).
func (s *Service) Register(ctx context.Context, in RegisterInput) (*Session, error) {
	return s.createUser(ctx, in.Phone, in.Password, in.Name, market.RoleVendor, "", true)
}

// CreateUserInput is an operator creating any user from the command line.
type CreateUserInput struct {
	Phone, Password, Name string
	Role                  market.Role
	DistrictID            string
}

// CreateUser creates a user of any role (the `market4 users create` command).
// Errors: Invalid (role, district_id, phone, password, name), NotFound
// (district), Conflict (phone).
func (s *Service) CreateUser(ctx context.Context, in CreateUserInput) (*market.User, error) {
	sess, err := s.createUser(ctx, in.Phone, in.Password, in.Name, in.Role, in.DistrictID, false)
	if err != nil {
		return nil, err
	}
	return sess.User, nil
}

func (s *Service) createUser(ctx context.Context, phone, pw, name string, role market.Role, districtID string, login bool) (*Session, error) {
	var fs errs.Fields
	norm, ok := market.NormalizePhone(phone)
	fs.Check(ok, "phone", "must be a Vietnamese mobile number, e.g. 0912345678")
	market.ValidatePassword(&fs, "password", pw)
	market.ValidateName(&fs, "name", name)
	fs.Check(role.Valid(), "role", "must be admin, staff or vendor")
	fs.Check(role != market.RoleStaff || districtID != "", "district_id", "is required for staff")
	fs.Check(role == market.RoleStaff || districtID == "", "district_id", "only staff belong to a district")
	if err := fs.Err(); err != nil {
		return nil, err
	}
	now := s.now()
	u := &market.User{ID: newID(), Phone: norm, Name: strings.TrimSpace(name), Role: role, DistrictID: districtID,
		PasswordHash: HashPassword(pw, s.cfg.Argon), CreatedAt: now}
	var sess *Session
	err := s.store.InTx(ctx, func(tx Tx) error {
		if districtID != "" {
			if _, err := tx.DistrictByID(ctx, districtID); err != nil {
				return err
			}
		}
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		if login {
			var err error
			sess, err = s.newSession(ctx, tx, u)
			return err
		}
		sess = &Session{User: u}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sess, nil
}

func (s *Service) newSession(ctx context.Context, tx Tx, u *market.User) (*Session, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, errs.Wrap(errs.Internal, err, "token generation failed")
	}
	tok := "m4_" + base64.RawURLEncoding.EncodeToString(raw)
	if err := tx.CreateSession(ctx, hashToken(tok), u.ID, s.now().Add(s.cfg.SessionTTL)); err != nil {
		return nil, err
	}
	return &Session{Token: tok, User: u}, nil
}

// LoginInput is a login attempt; ClientIP is used for throttling only.
type LoginInput struct {
	Phone, Password, ClientIP string
}

// Login checks a phone and password and opens a session. Attempts are
// throttled per phone and per client IP across all server instances.
// Errors: Invalid (phone), RateLimited, Unauthenticated.
func (s *Service) Login(ctx context.Context, in LoginInput) (*Session, error) {
	phone, ok := market.NormalizePhone(in.Phone)
	if !ok {
		return nil, errs.Field("phone", "must be a Vietnamese mobile number, e.g. 0912345678")
	}
	if err := s.throttle(ctx, "login:phone:"+phone, s.cfg.LoginPerPhone); err != nil {
		return nil, err
	}
	if in.ClientIP != "" {
		if err := s.throttle(ctx, "login:ip:"+in.ClientIP, s.cfg.LoginPerIP); err != nil {
			return nil, err
		}
	}
	u, err := s.store.Read().UserByPhone(ctx, phone)
	if errs.Is(err, errs.NotFound) {
		CheckPassword(in.Password, dummyHash)
		return nil, errs.E(errs.Unauthenticated, "wrong phone number or password")
	} else if err != nil {
		return nil, err
	}
	if !CheckPassword(in.Password, u.PasswordHash) {
		return nil, errs.E(errs.Unauthenticated, "wrong phone number or password")
	}
	var sess *Session
	err = s.store.InTx(ctx, func(tx Tx) error {
		var err error
		sess, err = s.newSession(ctx, tx, u)
		return err
	})
	return sess, err
}

func (s *Service) throttle(ctx context.Context, key string, limit int) error {
	if limit <= 0 {
		return nil
	}
	window := s.now().Truncate(s.cfg.LoginWindow)
	n, err := s.store.Read().CountAttempt(ctx, key, window)
	if err != nil {
		return err
	}
	if n > limit {
		return errs.E(errs.RateLimited, "too many login attempts, try again in a few minutes")
	}
	return nil
}

// Authenticate resolves a bearer token to the acting user.
// Errors: Unauthenticated.
func (s *Service) Authenticate(ctx context.Context, token string) (*market.User, error) {
	if !strings.HasPrefix(token, "m4_") || len(token) > 100 {
		return nil, errs.E(errs.Unauthenticated, "invalid or expired token")
	}
	u, err := s.store.Read().UserBySession(ctx, hashToken(token), s.now())
	if errs.Is(err, errs.NotFound) {
		return nil, errs.E(errs.Unauthenticated, "invalid or expired token")
	}
	return u, err
}

// Logout ends the session of token.
func (s *Service) Logout(ctx context.Context, token string) error {
	return s.store.Read().DeleteSession(ctx, hashToken(token))
}

// ActorOf turns a user into the Actor that use cases authorise against.
func ActorOf(u *market.User) market.Actor {
	if u == nil {
		return market.Actor{}
	}
	return market.Actor{UserID: u.ID, Role: u.Role, DistrictID: u.DistrictID}
}
