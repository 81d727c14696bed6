package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/market4/market4/internal/app"
	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/internal/market"
	"github.com/market4/market4/internal/store"
	"github.com/market4/market4/internal/store/storetest"
)

func TestRegisterLoginLogout(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newRegEnv(t, st, nil)
		sess, err := e.svc.Register(bg, app.RegisterInput{Phone: "0987 654 321", Password: "mật khẩu bí mật", Name: "  Cô Tư  "})
		if err != nil {
			t.Fatal(err)
		}
		u := sess.User
		if u.Phone != "+84987654321" || u.Name != "Cô Tư" || u.Role != market.RoleVendor || u.DistrictID != "" || !u.CreatedAt.Equal(e.clock.Now()) {
			t.Fatalf("registered user = %+v", u)
		}
		if !strings.HasPrefix(sess.Token, "m4_") || len(sess.Token) != 46 {
			t.Fatalf("token %q: want m4_ and 43 base64url characters", sess.Token)
		}
		stored := mustOK(st.Read().UserByID(bg, u.ID))(t)
		if !strings.HasPrefix(stored.PasswordHash, "$argon2id$v=19$m=64,t=1,p=1$") || strings.Contains(stored.PasswordHash, "mật khẩu") {
			t.Fatalf("stored password hash = %q", stored.PasswordHash)
		}
		var tokenStored int
		if err := st.SQL().QueryRowContext(bg, "SELECT count(*) FROM sessions WHERE token_hash = '"+sess.Token+"'").Scan(&tokenStored); err != nil || tokenStored != 0 {
			t.Fatalf("the raw token is stored (%d, %v); only its hash may be", tokenStored, err)
		}

		who := mustOK(e.svc.Authenticate(bg, sess.Token))(t)
		if who.ID != u.ID {
			t.Fatalf("Authenticate = %+v", who)
		}

		// Login with another spelling of the phone opens a second session.
		s2 := mustOK(e.svc.Login(bg, app.LoginInput{Phone: "+84-987-654-321", Password: "mật khẩu bí mật", ClientIP: "203.0.113.7"}))(t)
		if s2.Token == sess.Token || s2.User.ID != u.ID {
			t.Fatalf("second login = %+v", s2)
		}

		// Wrong password and unknown phone fail alike: no account enumeration.
		_, errWrong := e.svc.Login(bg, app.LoginInput{Phone: "0987654321", Password: "wrong password"})
		_, errUnknown := e.svc.Login(bg, app.LoginInput{Phone: "0987000000", Password: "mật khẩu bí mật"})
		expectErr(t, errWrong, errs.Unauthenticated)
		expectErr(t, errUnknown, errs.Unauthenticated)
		if errWrong.Error() != errUnknown.Error() {
			t.Fatalf("wrong password %q and unknown phone %q are distinguishable", errWrong, errUnknown)
		}
		_, err = e.svc.Login(bg, app.LoginInput{Phone: "not a phone", Password: "x"})
		expectErr(t, err, errs.Invalid, "phone")

		// Logout ends exactly that session.
		if err := e.svc.Logout(bg, sess.Token); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.Authenticate(bg, sess.Token)
		expectErr(t, err, errs.Unauthenticated)
		if _, err := e.svc.Authenticate(bg, s2.Token); err != nil {
			t.Fatalf("the other session died too: %v", err)
		}
		if err := e.svc.Logout(bg, sess.Token); err != nil {
			t.Fatalf("second logout: %v", err)
		}

		// Sessions expire after SessionTTL.
		e.clock.Advance(e.cfg.SessionTTL - time.Second)
		if _, err := e.svc.Authenticate(bg, s2.Token); err != nil {
			t.Fatalf("session died before its TTL: %v", err)
		}
		e.clock.Advance(time.Second)
		_, err = e.svc.Authenticate(bg, s2.Token)
		expectErr(t, err, errs.Unauthenticated)

		for _, bad := range []string{"", "m4_", "m4_nope", "Bearer " + s2.Token, strings.ToUpper(s2.Token), "m4_" + strings.Repeat("a", 200), s2.Token[3:]} {
			_, err := e.svc.Authenticate(bg, bad)
			expectErr(t, err, errs.Unauthenticated)
		}
	})
}

func TestRegisterRefusesBadInputAndLeavesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newRegEnv(t, st, nil)
		users, sessions := rows(t, st, "users"), rows(t, st, "sessions")
		for _, tt := range []struct {
			name   string
			in     app.RegisterInput
			code   errs.Code
			fields []string
		}{
			{"invalid phone", app.RegisterInput{Phone: "0243826123", Password: testPassword, Name: "A"}, errs.Invalid, []string{"phone"}},
			{"short password", app.RegisterInput{Phone: "0987654321", Password: "1234567", Name: "A"}, errs.Invalid, []string{"password"}},
			{"long password", app.RegisterInput{Phone: "0987654321", Password: strings.Repeat("p", 129), Name: "A"}, errs.Invalid, []string{"password"}},
			{"no name", app.RegisterInput{Phone: "0987654321", Password: testPassword, Name: " "}, errs.Invalid, []string{"name"}},
			{"everything", app.RegisterInput{}, errs.Invalid, []string{"phone", "password", "name"}},
			{"phone taken, other spelling", app.RegisterInput{Phone: "+84 912 000 001", Password: testPassword, Name: "A"}, errs.Conflict, []string{"phone"}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				_, err := e.svc.Register(bg, tt.in)
				expectErr(t, err, tt.code, tt.fields...)
			})
		}
		if rows(t, st, "users") != users || rows(t, st, "sessions") != sessions {
			t.Fatal("a refused registration left rows behind")
		}
	})
}

func TestCreateUserRoles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newRegEnv(t, st, nil)
		sessions := rows(t, st, "sessions")
		in := func(role market.Role, district string) app.CreateUserInput {
			return app.CreateUserInput{Phone: "0977000001", Password: testPassword, Name: "Ops", Role: role, DistrictID: district}
		}
		_, err := e.svc.CreateUser(bg, in(market.RoleStaff, ""))
		expectErr(t, err, errs.Invalid, "district_id")
		_, err = e.svc.CreateUser(bg, in(market.RoleVendor, e.d1.ID))
		expectErr(t, err, errs.Invalid, "district_id")
		_, err = e.svc.CreateUser(bg, in(market.RoleAdmin, e.d1.ID))
		expectErr(t, err, errs.Invalid, "district_id")
		_, err = e.svc.CreateUser(bg, in("root", ""))
		expectErr(t, err, errs.Invalid, "role")
		_, err = e.svc.CreateUser(bg, in(market.RoleStaff, "no-such-district"))
		expectErr(t, err, errs.NotFound)

		u := mustOK(e.svc.CreateUser(bg, in(market.RoleStaff, e.d2.ID)))(t)
		if u.Role != market.RoleStaff || u.DistrictID != e.d2.ID || u.Phone != "+84977000001" {
			t.Fatalf("staff = %+v", u)
		}
		if rows(t, st, "sessions") != sessions {
			t.Fatal("CreateUser opened a session")
		}
		// The operator's user logs in like anyone else.
		s := mustOK(e.svc.Login(bg, app.LoginInput{Phone: "0977000001", Password: testPassword}))(t)
		if app.ActorOf(s.User) != (market.Actor{UserID: u.ID, Role: market.RoleStaff, DistrictID: e.d2.ID}) {
			t.Fatalf("ActorOf = %+v", app.ActorOf(s.User))
		}
		if app.ActorOf(nil) != (market.Actor{}) {
			t.Fatal("ActorOf(nil) is not anonymous")
		}
	})
}

func TestLoginThrottlePerPhone(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newRegEnv(t, st, func(c *app.Config) { c.LoginPerPhone, c.LoginPerIP, c.LoginWindow = 3, 100, 15*time.Minute })
		// Align to the start of a window so the test never straddles two.
		e.clock.Advance(e.clock.Now().Truncate(15*time.Minute).Add(15*time.Minute).Sub(e.clock.Now()) + time.Minute)
		phone := "0912000001"
		for i := range 3 {
			_, err := e.svc.Login(bg, app.LoginInput{Phone: phone, Password: "wrong", ClientIP: "198.51.100.1"})
			expectErr(t, err, errs.Unauthenticated)
			_ = i
		}
		// Over the limit even the right password is refused, from any IP and
		// in any spelling of the phone.
		_, err := e.svc.Login(bg, app.LoginInput{Phone: "+84912000001", Password: testPassword, ClientIP: "198.51.100.2"})
		expectErr(t, err, errs.RateLimited)
		// Other phones are not affected.
		mustOK(e.svc.Login(bg, app.LoginInput{Phone: "0912000002", Password: testPassword, ClientIP: "198.51.100.1"}))(t)

		e.clock.Advance(10 * time.Minute) // still the same window
		_, err = e.svc.Login(bg, app.LoginInput{Phone: phone, Password: testPassword})
		expectErr(t, err, errs.RateLimited)

		e.clock.Advance(5 * time.Minute) // next window
		mustOK(e.svc.Login(bg, app.LoginInput{Phone: phone, Password: testPassword}))(t)
	})
}

func TestLoginThrottlePerIP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newRegEnv(t, st, func(c *app.Config) { c.LoginPerPhone, c.LoginPerIP, c.LoginWindow = 100, 3, time.Hour })
		e.clock.Advance(e.clock.Now().Truncate(time.Hour).Add(time.Hour).Sub(e.clock.Now()))
		ip := "192.0.2.9"
		// Spraying one password over many phones from one IP.
		for _, p := range []string{"0912000001", "0912000002", "0987111111"} {
			_, err := e.svc.Login(bg, app.LoginInput{Phone: p, Password: "hunter22", ClientIP: ip})
			expectErr(t, err, errs.Unauthenticated)
		}
		_, err := e.svc.Login(bg, app.LoginInput{Phone: "0912000003", Password: testPassword, ClientIP: ip})
		expectErr(t, err, errs.RateLimited)
		// Another IP logs in fine; so does this one in the next window.
		mustOK(e.svc.Login(bg, app.LoginInput{Phone: "0912000003", Password: testPassword, ClientIP: "192.0.2.10"}))(t)
		e.clock.Advance(time.Hour)
		mustOK(e.svc.Login(bg, app.LoginInput{Phone: "0912000003", Password: testPassword, ClientIP: ip}))(t)
	})
}

func TestLoginThrottleDisabled(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	e := newRegEnv(t, st, func(c *app.Config) { c.LoginPerPhone, c.LoginPerIP = 0, 0 })
	for range 5 {
		_, err := e.svc.Login(bg, app.LoginInput{Phone: "0912000001", Password: "wrong", ClientIP: "192.0.2.1"})
		expectErr(t, err, errs.Unauthenticated)
	}
	if n := rows(t, st, "attempts"); n != 0 {
		t.Fatalf("%d attempt rows with throttling off", n)
	}
}

func TestPasswordHash(t *testing.T) {
	h1 := app.HashPassword("mật khẩu", fastArgon)
	h2 := app.HashPassword("mật khẩu", fastArgon)
	if h1 == h2 {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	if !strings.HasPrefix(h1, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash = %q", h1)
	}
	if !app.CheckPassword("mật khẩu", h1) || !app.CheckPassword("mật khẩu", h2) {
		t.Fatal("right password refused")
	}
	if d := app.HashPassword("x", app.DefaultArgon); !strings.HasPrefix(d, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("default cost = %q, want OWASP's argon2id minimum", d)
	}
	parts := strings.Split(h1, "$")
	for name, enc := range map[string]string{
		"wrong password":  "",
		"empty hash":      "",
		"bcrypt":          "$2a$10$abcdefghijklmnopqrstuu",
		"argon2i":         strings.Replace(h1, "argon2id", "argon2i", 1),
		"bad params":      strings.Join([]string{"", parts[1], parts[2], "m=x,t=1,p=1", parts[4], parts[5]}, "$"),
		"bad salt":        strings.Join([]string{"", parts[1], parts[2], parts[3], "!!!", parts[5]}, "$"),
		"empty key":       strings.Join([]string{"", parts[1], parts[2], parts[3], parts[4], ""}, "$"),
		"truncated":       h1[:len(h1)-10],
		"too many fields": h1 + "$x",
	} {
		pw := "mật khẩu"
		if name == "wrong password" {
			pw, enc = "mat khau", h1
		}
		if app.CheckPassword(pw, enc) {
			t.Errorf("%s: CheckPassword accepted", name)
		}
	}
}
