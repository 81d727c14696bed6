package ocop

import (
	"time"
)

// Level is the authority that issued an OCOP certificate. It bounds the
// stars the certificate may carry (see Certificate.Validate).
type Level string

// Certification levels under Decision 148/QĐ-TTg.
const (
	// LevelCentral: the central OCOP council (Prime Minister's programme,
	// Ministry of Agriculture and Environment); 5 stars only.
	LevelCentral Level = "central"
	// LevelProvince: the provincial People's Committee; 3 or 4 stars.
	LevelProvince Level = "province"
	// LevelDistrict: the district People's Committee; 3 stars, and only
	// for decisions dated before DistrictCertificationEnd.
	LevelDistrict Level = "district"
)

// Valid reports whether l is a defined level.
func (l Level) Valid() bool {
	return l == LevelCentral || l == LevelProvince || l == LevelDistrict
}

// CertStatus is the stored status of a certificate, changed by staff.
// Expiry is not a stored status: it follows from the date (see StatusAt).
type CertStatus string

// Stored certificate statuses.
const (
	CertActive     CertStatus = "active"
	CertRevoked    CertStatus = "revoked"    // withdrawn by the issuing body
	CertSuperseded CertStatus = "superseded" // replaced by a re-evaluation
)

// Valid reports whether s is a defined stored status.
func (s CertStatus) Valid() bool {
	return s == CertActive || s == CertRevoked || s == CertSuperseded
}

// CertState is the effective state of a certificate at an instant, derived
// from its stored status and dates. Only CertStateActive shows stars.
type CertState string

// Effective certificate states.
const (
	CertStateActive     CertState = "active"
	CertStateExpired    CertState = "expired"       // 36 months have passed
	CertStateRevoked    CertState = "revoked"       // stored status revoked
	CertStateSuperseded CertState = "superseded"    // stored status superseded
	CertStateNotYet     CertState = "not_yet_valid" // decision dated after the instant
)

// Rules of Decision 148/QĐ-TTg as amended by 1489/QĐ-TTg.
const (
	// ValidityMonths is how long a certificate is valid from its decision date.
	ValidityMonths = 36
	// MinStars and MaxStars bound certified ratings: 1★ and 2★ are not
	// certified under Decision 148.
	MinStars = 3
	MaxStars = 5
	// MaxScore is the total of the scoring sheet: community strength 40,
	// marketing 25, quality 35.
	MaxScore = 100
	// Score thresholds (inclusive lower bounds) of each star rating.
	Score3Stars = 50
	Score4Stars = 70
	Score5Stars = 90
)

// DistrictCertificationEnd is the day district-level administration ended
// (two-level local government from 1 July 2025, reflected in the programme
// by Decision 1489/QĐ-TTg): district certificates must be dated strictly
// before it. Those issued earlier stay valid until they expire.
var DistrictCertificationEnd = Date(2025, time.July, 1)

// StarsForScore converts a total score (0–100) into stars: 90–100 → 5,
// 70–89 → 4, 50–69 → 3, and 0–49 → 0, meaning "not eligible for
// certification" (not an error: it is a legitimate evaluation outcome).
// Scores outside 0–100 are a *FieldError for field "score".
func StarsForScore(score int) (int, error) {
	switch {
	case score < 0 || score > MaxScore:
		return 0, fieldErr("score", "must be between 0 and %d", MaxScore)
	case score >= Score5Stars:
		return 5, nil
	case score >= Score4Stars:
		return 4, nil
	case score >= Score3Stars:
		return 3, nil
	}
	return 0, nil
}

// Certificate is one OCOP certification decision for a product. A product
// may have several over time (re-evaluations, upgrades); StarsAt picks the
// one that counts.
type Certificate struct {
	ID        string
	ProductID string
	Stars     int
	// Score is the evaluation total when known; nil when only the stars
	// were published. When set it must agree with Stars.
	Score *int
	// DecisionNumber is the number of the decision, e.g. "1234/QĐ-UBND".
	DecisionNumber string
	// IssuingBody names the authority, e.g. "UBND tỉnh Lâm Đồng".
	IssuingBody string
	Level       Level
	// DecisionDate is the calendar day of the decision, read in ICT (any
	// instant of that day works; see Date).
	DecisionDate time.Time
	Status       CertStatus
}

// Limits on certificate text fields.
const (
	MaxDecisionNumberLen = 64
	MaxIssuingBodyLen    = 200
)

// ValidFrom returns the instant the certificate starts to count: midnight
// ICT of the decision day.
func (c Certificate) ValidFrom() time.Time { return dayStart(c.DecisionDate) }

// ValidUntil returns the first instant at which the certificate no longer
// counts: midnight ICT of the decision day plus ValidityMonths months
// (clamped to the end of a shorter month, so 29 Feb 2024 gives 28 Feb 2027).
// The certificate is valid for ValidFrom() ≤ t < ValidUntil().
func (c Certificate) ValidUntil() time.Time {
	return addMonthsClamped(c.DecisionDate, ValidityMonths)
}

// StatusAt returns the effective state at t. Revocation and supersession
// win over dates, because they are decisions that take effect whatever the
// calendar says.
func (c Certificate) StatusAt(t time.Time) CertState {
	switch c.Status {
	case CertRevoked:
		return CertStateRevoked
	case CertSuperseded:
		return CertStateSuperseded
	}
	switch {
	case t.Before(c.ValidFrom()):
		return CertStateNotYet
	case !t.Before(c.ValidUntil()):
		return CertStateExpired
	}
	return CertStateActive
}

// Validate checks the fields and the consistency of level and stars
// (central ⇒ 5★; province ⇒ 3–4★; district ⇒ 3★ dated before
// DistrictCertificationEnd) and of score and stars. It returns all problems as
// FieldErrors (fields: stars, score, decision_number, issuing_body, level,
// decision_date, status), or nil. Whether the decision date lies in the
// future is for the service to check against its clock.
func (c Certificate) Validate() error {
	var v errs
	starsOK := c.Stars >= MinStars && c.Stars <= MaxStars
	if !starsOK {
		v.addf("stars", "must be %d to %d: 1 and 2 stars are not certified", MinStars, MaxStars)
	}
	if c.Score != nil {
		s, err := StarsForScore(*c.Score)
		switch {
		case err != nil:
			v.add(err.(*FieldError))
		case s == 0:
			v.addf("score", "%d is below %d: not eligible for certification", *c.Score, Score3Stars)
		case starsOK && s != c.Stars:
			v.addf("score", "%d gives %d stars, not %d", *c.Score, s, c.Stars)
		}
	}
	checkText(&v, "decision_number", c.DecisionNumber, true, MaxDecisionNumberLen, false)
	checkText(&v, "issuing_body", c.IssuingBody, true, MaxIssuingBodyLen, false)
	dateOK := !c.DecisionDate.IsZero()
	if !dateOK {
		v.addf("decision_date", "is required")
	}
	switch c.Level {
	case LevelCentral:
		if starsOK && c.Stars != 5 {
			v.addf("level", "central certificates are 5-star only")
		}
	case LevelProvince:
		if starsOK && c.Stars == 5 {
			v.addf("level", "a province certifies 3 or 4 stars; 5 stars are certified centrally")
		}
	case LevelDistrict:
		if starsOK && c.Stars != 3 {
			v.addf("level", "a district certifies 3 stars only")
		}
		if dateOK && !dayStart(c.DecisionDate).Before(DistrictCertificationEnd) {
			v.addf("decision_date", "district certificates must be dated before 2025-07-01")
		}
	default:
		v.addf("level", "must be one of central, province, district")
	}
	if !c.Status.Valid() {
		v.addf("status", "must be one of active, revoked, superseded")
	}
	return v.err()
}

// StarsAt returns the stars a product shows at t: those of its active
// certificate at t (stored status active and ValidFrom ≤ t < ValidUntil).
// When several are active (an upgrade before the old one was marked
// superseded), the latest decision date wins, then the higher rating. cert
// points into certs. ok is false, with 0 stars, when none is active.
func StarsAt(certs []Certificate, t time.Time) (stars int, cert *Certificate, ok bool) {
	for i := range certs {
		c := &certs[i]
		if c.StatusAt(t) != CertStateActive || c.Stars < MinStars || c.Stars > MaxStars {
			continue
		}
		if cert == nil || newerCert(c, cert) {
			cert = c
		}
	}
	if cert == nil {
		return 0, nil, false
	}
	return cert.Stars, cert, true
}

// newerCert orders certificates for StarsAt and CertStateAt: later decision
// day first, then more stars, then decision number (only to be
// deterministic).
func newerCert(a, b *Certificate) bool {
	da, db := dayStart(a.DecisionDate), dayStart(b.DecisionDate)
	if !da.Equal(db) {
		return da.After(db)
	}
	if a.Stars != b.Stars {
		return a.Stars > b.Stars
	}
	return a.DecisionNumber > b.DecisionNumber
}

// CertStateAt summarises a product's certification at t for the verdict:
// CertStateActive if any certificate is active; otherwise the state of the
// most recent certificate (expired, revoked, ...); "" when the product has
// never been certified, which is not an anomaly.
func CertStateAt(certs []Certificate, t time.Time) CertState {
	if _, _, ok := StarsAt(certs, t); ok {
		return CertStateActive
	}
	var latest *Certificate
	for i := range certs {
		if latest == nil || newerCert(&certs[i], latest) {
			latest = &certs[i]
		}
	}
	if latest == nil {
		return ""
	}
	return latest.StatusAt(t)
}
