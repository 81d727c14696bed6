package ocop

import (
	"slices"
	"testing"
	"time"
)

func TestStarsForScore(t *testing.T) {
	tests := []struct {
		score, want int
		wantErr     bool
	}{
		{-1, 0, true}, {101, 0, true},
		{0, 0, false}, {49, 0, false},
		{50, 3, false}, {69, 3, false},
		{70, 4, false}, {89, 4, false},
		{90, 5, false}, {100, 5, false},
	}
	for _, tt := range tests {
		got, err := StarsForScore(tt.score)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("StarsForScore(%d) = %d, %v; want %d, err %v", tt.score, got, err, tt.want, tt.wantErr)
		}
		if err != nil {
			wantField(t, err, "score", ErrInvalid)
		}
	}
}

func TestCertificateValidUntil(t *testing.T) {
	tests := []struct {
		name     string
		decision time.Time
		want     time.Time
	}{
		{"plain", Date(2024, 3, 15), Date(2027, 3, 15)},
		{"leap day clamps", Date(2024, 2, 29), Date(2027, 2, 28)},
		{"31st", Date(2023, 8, 31), Date(2026, 8, 31)},
		{"utc midnight date", time.Date(2024, 3, 15, 0, 0, 0, 0, time.UTC), Date(2027, 3, 15)},
		{"local midnight stored as utc", time.Date(2024, 3, 14, 17, 0, 0, 0, time.UTC), Date(2027, 3, 15)},
		{"late in the day", time.Date(2024, 3, 15, 23, 30, 0, 0, ICT), Date(2027, 3, 15)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Certificate{DecisionDate: tt.decision}
			if got := c.ValidUntil(); !got.Equal(tt.want) {
				t.Fatalf("ValidUntil = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCertificateStatusAt(t *testing.T) {
	c := Certificate{Stars: 4, DecisionDate: Date(2023, 6, 1), Status: CertActive}
	tests := []struct {
		name   string
		status CertStatus
		at     time.Time
		want   CertState
	}{
		{"before decision", CertActive, Date(2023, 6, 1).Add(-time.Nanosecond), CertStateNotYet},
		{"decision day start", CertActive, Date(2023, 6, 1), CertStateActive},
		{"middle", CertActive, Date(2025, 1, 1), CertStateActive},
		{"last instant", CertActive, Date(2026, 6, 1).Add(-time.Nanosecond), CertStateActive},
		{"expires", CertActive, Date(2026, 6, 1), CertStateExpired},
		{"revoked wins over dates", CertRevoked, Date(2025, 1, 1), CertStateRevoked},
		{"superseded wins over dates", CertSuperseded, Date(2025, 1, 1), CertStateSuperseded},
		{"revoked after expiry", CertRevoked, Date(2030, 1, 1), CertStateRevoked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := c
			c.Status = tt.status
			if got := c.StatusAt(tt.at); got != tt.want {
				t.Fatalf("StatusAt = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCertificateValidate(t *testing.T) {
	good := Certificate{Stars: 4, Score: intp(75), DecisionNumber: "1234/QĐ-UBND", IssuingBody: "UBND tỉnh Lâm Đồng",
		Level: LevelProvince, DecisionDate: Date(2024, 5, 20), Status: CertActive}
	tests := []struct {
		name   string
		mod    func(*Certificate)
		fields []string
	}{
		{"valid province 4", func(*Certificate) {}, nil},
		{"province 3", func(c *Certificate) { c.Stars, c.Score = 3, intp(50) }, nil},
		{"no score", func(c *Certificate) { c.Score = nil }, nil},
		{"central 5", func(c *Certificate) { c.Level, c.Stars, c.Score = LevelCentral, 5, intp(90) }, nil},
		{"central 4", func(c *Certificate) { c.Level = LevelCentral }, []string{"level"}},
		{"province 5", func(c *Certificate) { c.Stars, c.Score = 5, intp(95) }, []string{"level"}},
		{"district 3 before cut-off", func(c *Certificate) {
			c.Level, c.Stars, c.Score, c.DecisionDate = LevelDistrict, 3, nil, Date(2025, 6, 30)
		}, nil},
		{"district 3 on cut-off day", func(c *Certificate) {
			c.Level, c.Stars, c.Score, c.DecisionDate = LevelDistrict, 3, nil, Date(2025, 7, 1)
		}, []string{"decision_date"}},
		{"district 3, utc date of 30 June", func(c *Certificate) {
			c.Level, c.Stars, c.Score, c.DecisionDate = LevelDistrict, 3, nil, time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC)
		}, nil},
		{"district 4", func(c *Certificate) { c.Level, c.DecisionDate = LevelDistrict, Date(2024, 1, 1) }, []string{"level"}},
		{"2 stars", func(c *Certificate) { c.Stars, c.Score = 2, nil }, []string{"stars"}},
		{"6 stars", func(c *Certificate) { c.Stars, c.Score = 6, nil }, []string{"stars"}},
		{"score disagrees", func(c *Certificate) { c.Score = intp(91) }, []string{"score"}},
		{"score below 50", func(c *Certificate) { c.Score = intp(49) }, []string{"score"}},
		{"score out of range", func(c *Certificate) { c.Score = intp(101) }, []string{"score"}},
		{"score boundary 70", func(c *Certificate) { c.Score = intp(70) }, nil},
		{"score boundary 69", func(c *Certificate) { c.Score = intp(69) }, []string{"score"}},
		{"missing texts and date", func(c *Certificate) { c.DecisionNumber, c.IssuingBody, c.DecisionDate = "", "", time.Time{} },
			[]string{"decision_number", "issuing_body", "decision_date"}},
		{"bad level and status", func(c *Certificate) { c.Level, c.Status = "commune", "expired" }, []string{"level", "status"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good
			tt.mod(&c)
			if got := fieldsOf(c.Validate()); !slices.Equal(got, tt.fields) {
				t.Fatalf("fields = %v, want %v (%v)", got, tt.fields, c.Validate())
			}
		})
	}
}

func TestStarsAt(t *testing.T) {
	old3 := Certificate{DecisionNumber: "A", Stars: 3, DecisionDate: Date(2022, 1, 10), Status: CertActive}
	up4 := Certificate{DecisionNumber: "B", Stars: 4, DecisionDate: Date(2024, 2, 1), Status: CertActive}
	rev5 := Certificate{DecisionNumber: "C", Stars: 5, DecisionDate: Date(2024, 6, 1), Status: CertRevoked}
	sup4 := up4
	sup4.Status = CertSuperseded
	sameDay3 := Certificate{DecisionNumber: "D", Stars: 3, DecisionDate: Date(2024, 2, 1), Status: CertActive}
	tests := []struct {
		name      string
		certs     []Certificate
		at        time.Time
		wantStars int
		wantNum   string
	}{
		{"none", nil, testNow, 0, ""},
		{"active", []Certificate{up4}, testNow, 4, "B"},
		{"expired stops showing stars", []Certificate{old3}, Date(2025, 1, 10), 0, ""},
		{"last day still active", []Certificate{old3}, Date(2025, 1, 10).Add(-time.Second), 3, "A"},
		{"overlap: latest decision wins", []Certificate{old3, up4}, Date(2024, 6, 1), 4, "B"},
		{"overlap in any order", []Certificate{up4, old3}, Date(2024, 6, 1), 4, "B"},
		{"revoked never counts", []Certificate{up4, rev5}, testNow, 4, "B"},
		{"superseded never counts", []Certificate{sup4, old3}, Date(2024, 6, 1), 3, "A"},
		{"same day: more stars", []Certificate{sameDay3, up4}, testNow, 4, "B"},
		{"future decision not yet", []Certificate{up4}, Date(2024, 1, 31), 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stars, c, ok := StarsAt(tt.certs, tt.at)
			if stars != tt.wantStars || ok != (tt.wantNum != "") {
				t.Fatalf("StarsAt = %d, %v; want %d", stars, ok, tt.wantStars)
			}
			if ok && c.DecisionNumber != tt.wantNum {
				t.Fatalf("picked %q, want %q", c.DecisionNumber, tt.wantNum)
			}
			if ok && c != &tt.certs[slices.IndexFunc(tt.certs, func(x Certificate) bool { return x.DecisionNumber == tt.wantNum })] {
				t.Fatal("cert must point into the slice")
			}
		})
	}
}

func TestCertStateAt(t *testing.T) {
	old := Certificate{DecisionNumber: "A", Stars: 3, DecisionDate: Date(2020, 1, 1), Status: CertActive}
	cur := Certificate{DecisionNumber: "B", Stars: 4, DecisionDate: Date(2024, 1, 1), Status: CertActive}
	rev := Certificate{DecisionNumber: "C", Stars: 4, DecisionDate: Date(2024, 6, 1), Status: CertRevoked}
	tests := []struct {
		name  string
		certs []Certificate
		want  CertState
	}{
		{"never certified", nil, ""},
		{"active", []Certificate{old, cur}, CertStateActive},
		{"expired", []Certificate{old}, CertStateExpired},
		{"latest revoked, older expired", []Certificate{old, rev}, CertStateRevoked},
		{"revoked but an active one remains", []Certificate{cur, rev}, CertStateActive},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CertStateAt(tt.certs, testNow); got != tt.want {
				t.Fatalf("CertStateAt = %q, want %q", got, tt.want)
			}
		})
	}
}
