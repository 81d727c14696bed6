package dashboard

import (
	"math"
	"strconv"
	"time"

	"github.com/market4/market4/internal/app"
)

// Charts are drawn on the server as inline SVG: no script, no CDN, they
// print, and a screen reader gets each bar's figure from its <title>.

// bar is one rectangle of a chart with its tooltip and optional label.
type bar struct {
	X, Y, W, H float64
	Title      string
	Label      string
	LabelX     float64
}

// tick is a horizontal grid line with its axis label.
type tick struct {
	Y     float64
	Label string
}

// dailyChart is the daily payment value as vertical bars.
type dailyChart struct {
	Width, Height float64
	Left, Bottom  float64
	Bars          []bar
	Ticks         []tick
	Empty         bool
	Unit          string
}

// niceMax rounds a maximum up to 1, 2 or 5 × 10^k so grid lines fall on
// round figures.
func niceMax(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// buildDaily lays out one bar per business day of [from, to] from a
// report grouped at the scope's level by day (rows of one group).
func buildDaily(lang string, rep *app.Report) dailyChart {
	c := dailyChart{Width: 520, Height: 240, Left: 44, Bottom: 26, Unit: tr(lang, "chart.million")}
	byDay := map[string]app.ReportRow{}
	for _, r := range rep.Rows {
		x := byDay[r.PeriodStart]
		x.Amount += r.Amount
		x.Payments += r.Payments
		byDay[r.PeriodStart] = x
	}
	from, _ := time.Parse(time.DateOnly, rep.From)
	to, _ := time.Parse(time.DateOnly, rep.To)
	var days []string
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		days = append(days, d.Format(time.DateOnly))
	}
	var max int64
	for _, d := range days {
		max = int64(math.Max(float64(max), float64(byDay[d].Amount)))
	}
	c.Empty = max == 0
	top := niceMax(float64(max))
	plotW, plotH := c.Width-c.Left-8, c.Height-c.Bottom-12
	for i := 0; i <= 4; i++ {
		v := top * float64(i) / 4
		c.Ticks = append(c.Ticks, tick{Y: 12 + plotH - plotH*float64(i)/4, Label: strconv.FormatFloat(v/1e6, 'f', -1, 64)})
	}
	if len(days) == 0 {
		return c
	}
	slot := plotW / float64(len(days))
	labelEvery := int(math.Ceil(float64(len(days)) / 8))
	for i, d := range days {
		r := byDay[d]
		h := plotH * float64(r.Amount) / top
		b := bar{X: c.Left + float64(i)*slot + slot*0.15, W: math.Max(slot*0.7, 1), Y: 12 + plotH - h, H: h,
			Title: d + ": " + formatMoney(lang, r.Amount) + " · " + formatInt(lang, r.Payments)}
		if i%labelEvery == 0 {
			b.Label, b.LabelX = d[8:10]+"/"+d[5:7], b.X+b.W/2
		}
		c.Bars = append(c.Bars, b)
	}
	return c
}

// adoptionChart is QR adoption per market as horizontal bars.
type adoptionChart struct {
	Width, Height float64
	LabelW        float64
	Rows          []adoptionBar
}

type adoptionBar struct {
	Y, W, Full float64
	Name       string
	Figure     string
	Title      string
}

func buildAdoption(lang string, rep *app.Report) adoptionChart {
	c := adoptionChart{Width: 520, LabelW: 150}
	full := c.Width - c.LabelW - 120
	for i, r := range rep.Rows {
		y := float64(i) * 30
		c.Rows = append(c.Rows, adoptionBar{Y: y, W: full * math.Min(r.QRAdoption, 1), Full: full, Name: clip(r.GroupName, 22),
			Figure: formatInt(lang, r.ActiveStalls) + "/" + formatInt(lang, r.RegisteredStalls) + " · " + formatPercent(lang, r.QRAdoption),
			Title:  r.GroupName + ": " + formatPercent(lang, r.QRAdoption)})
	}
	c.Height = float64(len(c.Rows))*30 + 4
	return c
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
